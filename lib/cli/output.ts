/**
 * Output for the subcommands: the common options (-f, --json, --ndjson,
 * --iso), writing with stdout backpressure, time formats that who(1) and
 * last(1) users know, and the progress indicator for large files.
 */
import { once } from 'events';
import type { Format } from './args';
import { column, isPlainChar, safe } from './common';
import { localFields } from './local-time';
import { writeAddressText } from '../model/entry';
import { DAY_BYTES, MONTH_BYTES } from './time-format';

// Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1
// controls (U+009B is CSI), bidi and zero-width format characters.
const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const HAS_JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/**
 * JSON.stringify, with the characters above written as \uXXXX escapes: the
 * same JSON value, so strings are still carried exactly, but safe to print.
 */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Looking costs a fifth of replacing where there is nothing to replace (nearly always).
  if (!HAS_JSON_UNSAFE.test(json)) return json;
  return json.replace(JSON_UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

// Whether the four bytes of `w` (none NUL) are what a dump field writes as they are: none
// below 0x20, none above 0x7e, none the backslash or a bracket (exact as tests of presence:
// a borrow or carry can mark a byte wrongly only above one rightly marked).
function plainWord(w: number): boolean {
  const x = w ^ 0x5c5c5c5c;
  const open = w ^ 0x5b5b5b5b;
  const close = w ^ 0x5d5d5d5d;
  return ((((w - 0x20202020) & ~w) | (w + 0x01010101) | w | ((x - 0x01010101) & ~x) |
    ((open - 0x01010101) & ~open) | ((close - 0x01010101) & ~close)) & 0x80808080) === 0;
}

// A byte a dump field writes as it is: printable ASCII but `\`, `[` and `]`.
const isDumpPlain = (c: number) => isPlainChar(c) && c !== 0x5b && c !== 0x5d;

/**
 * A dump field's text: escaped as for a terminal, and `[` `]` as `\x5b` `\x5d`, so that
 * `utmpdump -r`, which takes a field to end at the first `]`, reads each field where it is
 * (utmpdump itself prints them as `?`, which loses them).
 */
function dumpFieldText(s: string): string {
  return safe(s).replace(/[[\]]/g, (c) => (c === '[' ? '\\x5b' : '\\x5d'));
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const NO_WORDS = new Int32Array(0);
const NO_BYTES = Buffer.alloc(0);

const FLUSH_AT = 64 * 1024;
const SMALL_FLUSH = 4096;

/**
 * Writes lines in batches and waits for 'drain' when the stream asks to, so
 * that a slow reader of stdout never makes us buffer a whole file. Lines go
 * into a byte buffer as UTF-8, whole (`line()`) or piece by piece (`ascii()`,
 * `field()`, `int()`, then `endLine()`: no string made for the line). Both
 * return a promise only when a batch went out: a loop awaits that alone
 * (`const p = w.line(t); if (p) await p;`), not a promise a line.
 */
export class LineWriter {
  private buf = Buffer.allocUnsafe(2 * FLUSH_AT);
  private pos = 0;
  // Not null at first: a field that changes kind throws away the code compiled for it.
  private wordsSource: Uint8Array = NO_BYTES;
  private words: Int32Array = NO_WORDS;

  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Queues one line; a promise, when returned, settles once it may be followed by more. */
  line(text: string): Promise<void> | undefined {
    this.text(text);
    return this.endLine();
  }

  /** Ends the line written piece by piece (see `line()`). */
  endLine(): Promise<void> | undefined {
    if (this.pos === this.buf.length) this.makeRoom(1);
    this.buf[this.pos++] = 0x0a;
    if (this.pos >= FLUSH_AT) return this.flush();
    return undefined;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    const n = s.length;
    if (this.pos + 3 * n > this.buf.length) this.makeRoom(3 * n);
    if (n > 24) {
      // A whole line: one call into the encoder beats a loop a character.
      this.pos += this.buf.write(s, this.pos, 'utf8');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos += b.write(s, this.pos, 'utf8');
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** Text known to be ASCII. */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.makeRoom(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** column(s, n, wide): cut to `n` characters unless `wide`, escaped, padded to `n`. */
  column(s: string, n: number, wide: boolean): void {
    const kept = wide ? s.length : Math.min(s.length, n);
    if (this.printable(s, kept)) this.spaces(n - kept);
    else this.text(column(s, n, wide));
  }

  /**
   * column() of the NUL-terminated field at `buf[start, start + size)`, straight from its bytes,
   * when those it shows are printable ASCII; false, with nothing written, otherwise.
   */
  columnBytes(buf: Uint8Array, start: number, size: number, n: number, wide: boolean): boolean {
    const shown = wide ? size : Math.min(size, n);
    if (this.pos + shown + n > this.buf.length) this.makeRoom(shown + n);
    const b = this.buf;
    let p = this.pos;
    let i = start;
    for (const end = start + shown; i < end; i++) {
      const c = buf[i];
      if (c === 0) break;
      if (!isPlainChar(c)) return false;
      b[p++] = c;
    }
    this.pos = p;
    this.spaces(n - (i - start));
    return true;
  }

  /**
   * The first `count` characters of `s`, when all are plain (isPlainChar; with `dump`,
   * isDumpPlain): nothing to escape, a byte each; false, with nothing written, otherwise.
   */
  private printable(s: string, count: number, dump = false): boolean {
    if (this.pos + count > this.buf.length) this.makeRoom(count);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < count; i++) {
      const c = s.charCodeAt(i);
      if (dump ? !isDumpPlain(c) : !isPlainChar(c)) return false;
      b[p++] = c;
    }
    this.pos = p;
    return true;
  }

  /** `n` spaces (n may be 0 or less: none). */
  spaces(n: number): void {
    if (n <= 0) return;
    if (this.pos + n > this.buf.length) this.makeRoom(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = 0x20; // a loop: Buffer#fill checks its arguments at length
    this.pos = p;
  }

  /**
   * A string from a record, escaped (dumpFieldText()) and padded with spaces to
   * `width` bytes of UTF-8, as printf's `%-Ns` pads (utmpdump's columns).
   */
  field(s: string, width: number): void {
    if (this.printable(s, s.length, true)) {
      this.spaces(width - s.length);
      return;
    }
    const text = dumpFieldText(s); // escaped, counted in bytes
    this.text(text);
    this.spaces(width - Buffer.byteLength(text, 'utf8'));
  }

  /**
   * What field() writes for the string in bytes `[start, start + size)` of `src`
   * (cut at the first NUL), copied straight from the bytes, when all are printable
   * ASCII other than the backslash and brackets (nothing to escape, a byte a character); false, with
   * nothing written, otherwise (the caller decodes and escapes them).
   */
  plainBytes(src: Uint8Array, start: number, size: number, width: number): boolean {
    const room = size > width ? size : width;
    if (this.pos + room > this.buf.length) this.makeRoom(room);
    const b = this.buf;
    let p = this.pos;
    let i = start;
    const limit = start + size;
    const words = this.wordsOf(src);
    if (((start | size) & 3) === 0 && limit <= words.length << 2) {
      // Four bytes a step while none is NUL, the last word's bytes one by one (see decodeString).
      for (; i < limit; i += 4) {
        const w = words[i >>> 2];
        if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
        if (!plainWord(w)) return false;
        b[p] = w;
        b[p + 1] = w >>> 8;
        b[p + 2] = w >>> 16;
        b[p + 3] = w >>> 24;
        p += 4;
      }
    }
    for (; i < limit; i++) {
      const c = src[i];
      if (c === 0) break;
      if (!isDumpPlain(c)) return false;
      b[p++] = c;
    }
    for (const end = this.pos + width; p < end;) b[p++] = 0x20;
    this.pos = p;
    return true;
  }

  // `src` as 32-bit words, on a little-endian host where it starts 4-aligned (the
  // record buffers do); else none. Made once per buffer: the cursors reuse theirs.
  private wordsOf(src: Uint8Array): Int32Array {
    if (src !== this.wordsSource) {
      this.wordsSource = src;
      this.words = LITTLE_ENDIAN_HOST && (src.byteOffset & 3) === 0 ? new Int32Array(src.buffer, src.byteOffset, src.length >>> 2) : NO_WORDS;
    }
    return this.words;
  }

  /** addressText() of the 16 bytes at `start` of `src` (`none` where no address is recorded), padded to `width`. */
  address(src: Uint8Array, start: number, none: string, width: number): void {
    if (this.pos + 48 > this.buf.length) this.makeRoom(48);
    const from = this.pos;
    this.pos = writeAddressText(src, start, this.buf, from);
    if (this.pos === from) this.ascii(none);
    this.spaces(width - (this.pos - from));
  }

  /** Bytes `[from, to)` of `src`, as they are: ASCII the caller made. */
  bytes(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.pos + n > this.buf.length) this.makeRoom(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = from; i < to; i++) b[p++] = src[i];
    this.pos = p;
  }

  /** Where the next byte goes: a line begun may be taken back to it (`backTo`) before `endLine()`. */
  get position(): number {
    return this.pos;
  }

  /** Forgets what was written since `position` (read before, in the same line). */
  backTo(position: number): void {
    this.pos = position;
  }

  /** `] [`, between bracketed fields. */
  nextField(): void {
    if (this.pos + 3 > this.buf.length) this.makeRoom(3);
    const b = this.buf;
    b[this.pos] = 0x5d;
    b[this.pos + 1] = 0x20;
    b[this.pos + 2] = 0x5b;
    this.pos += 3;
  }

  /** lastStamp(ms) (`Mon Jan 15 09:30`, 16 bytes), from the time's fields. */
  lastStamp(ms: number): void {
    this.stampBytes(ms, 0, 16);
  }

  /** clock(ms) (`09:30`). */
  clock(ms: number): void {
    this.stampBytes(ms, 11, 16);
  }

  // Bytes [from, to) of lastStamp(ms), from the minute's cached stamp.
  private stampBytes(ms: number, from: number, to: number): void {
    const at = stampOf(ms);
    if (this.pos + 16 > this.buf.length) this.makeRoom(16);
    const b = this.buf;
    let p = this.pos;
    for (let i = from; i < to; i++) b[p++] = STAMP_BYTES[at + i];
    this.pos = p;
  }

  /** Six digits (0-999999), as `%06d`. */
  six(n: number): void {
    if (this.pos + 6 > this.buf.length) this.makeRoom(6);
    const b = this.buf;
    for (let p = this.pos + 5; p >= this.pos; p--) {
      const q = (n / 10) | 0;
      b[p] = 0x30 + n - 10 * q;
      n = q;
    }
    this.pos += 6;
  }

  /** Two digits (0-99), as `%02d`. */
  two(n: number): void {
    if (this.pos + 2 > this.buf.length) this.makeRoom(2);
    const q = (n / 10) | 0;
    this.buf[this.pos++] = 0x30 + q;
    this.buf[this.pos++] = 0x30 + n - 10 * q;
  }

  /** A whole number in decimal, zero-padded to `width` digits as printf's `%0Nd` (for n >= 0). */
  int(n: number, width = 0): void {
    if (!(n >= 0 && n <= 0x7fffffff && Number.isInteger(n))) {
      this.ascii(width ? String(n).padStart(width, '0') : String(n));
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
    const len = digits > width ? digits : width;
    if (this.pos + len > this.buf.length) this.makeRoom(len);
    const b = this.buf;
    let p = this.pos + len;
    this.pos = p;
    for (let i = 0; i < len; i++) {
      const q = (n / 10) | 0;
      b[--p] = 0x30 + n - 10 * q;
      n = q;
    }
  }

  async flush(): Promise<void> {
    if (this.pos === 0) return;
    // The stream may keep the bytes until written: a new buffer for what follows, or (a line
    // or a few, as watch flushes each event) a copy of them, which is far cheaper than 128 KiB.
    const small = this.pos <= SMALL_FLUSH;
    const chunk = small ? Buffer.from(this.buf.subarray(0, this.pos)) : this.buf.subarray(0, this.pos);
    this.pos = 0;
    const ready = this.out.write(chunk);
    // process.stdout (a file, pipe or terminal) with nothing queued has written the bytes out:
    // its buffer takes the next lines. Else a new one, which a fast writer (dump) would pile up
    // by tens of MB before its few allocations start a GC. Other streams may keep a chunk.
    if (!small && !(this.out === process.stdout && process.stdout.writableLength === 0)) this.buf = Buffer.allocUnsafe(2 * FLUSH_AT);
    if (!ready) await once(this.out as NodeJS.EventEmitter, 'drain');
  }

  // A line longer than the buffer holds: a larger buffer, the bytes so far copied.
  private makeRoom(n: number): void {
    const larger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n + FLUSH_AT));
    this.buf.copy(larger, 0, 0, this.pos);
    this.buf = larger;
  }
}

// lastStamp's 16 bytes per minute of time, direct-mapped: a row's login and logout and
// the rows near it fall in few minutes, and each stamp costs a localFields() and 16
// stores. A minute is kept only where it is one local minute (its hour's offset steady,
// in whole minutes); the slot is still where stampOf() leaves the bytes of this call.
const STAMP_SLOTS = 256;
const stampMinute = new Float64Array(STAMP_SLOTS).fill(NaN);
const STAMP_BYTES = new Uint8Array(STAMP_SLOTS * 16);

// Where in STAMP_BYTES lastStamp(ms)'s 16 bytes are.
function stampOf(ms: number): number {
  const minute = Math.floor(ms / 60_000);
  const slot = minute & (STAMP_SLOTS - 1);
  const at = slot * 16;
  if (stampMinute[slot] === minute) return at;
  const f = localFields(ms);
  const b = STAMP_BYTES;
  const d = f.weekday * 3;
  const m = (f.month - 1) * 3;
  b[at] = DAY_BYTES[d];
  b[at + 1] = DAY_BYTES[d + 1];
  b[at + 2] = DAY_BYTES[d + 2];
  b[at + 3] = 0x20;
  b[at + 4] = MONTH_BYTES[m];
  b[at + 5] = MONTH_BYTES[m + 1];
  b[at + 6] = MONTH_BYTES[m + 2];
  b[at + 7] = 0x20;
  const tens = (f.day / 10) | 0;
  b[at + 8] = tens === 0 ? 0x20 : 0x30 + tens; // %e
  b[at + 9] = 0x30 + f.day - 10 * tens;
  b[at + 10] = 0x20;
  b[at + 11] = 0x30 + ((f.hours / 10) | 0);
  b[at + 12] = 0x30 + (f.hours % 10);
  b[at + 13] = 0x3a; // :
  b[at + 14] = 0x30 + ((f.minutes / 10) | 0);
  b[at + 15] = 0x30 + (f.minutes % 10);
  stampMinute[slot] = f.steady && f.offsetMs % 60_000 === 0 ? minute : NaN;
  return at;
}

/**
 * Emits a sequence of records in the chosen format: human lines, one JSON
 * array written element by element, or one JSON object a line. `emit()`
 * returns a promise only when the caller must wait (see LineWriter).
 */
export class RecordEmitter<T> {
  private count = 0;
  readonly writer: LineWriter;

  constructor(out: NodeJS.WritableStream, private readonly format: Format, private readonly human: (r: T) => string) {
    this.writer = new LineWriter(out);
  }

  emit(record: T): Promise<void> | undefined {
    if (this.format === 'human') return this.writer.line(this.human(record));
    const json = toJson(record);
    if (this.format === 'ndjson') return this.writer.line(json);
    // One JSON document, streamed: '[' before the first element, ']' at the end.
    return this.writer.line((this.count++ === 0 ? '[' : ',') + json);
  }

  /** Closes the JSON array (an empty one if nothing came) and flushes. */
  async end(): Promise<void> {
    if (this.format === 'json') await this.writer.line(this.count === 0 ? '[]' : ']');
    await this.writer.flush();
  }
}

