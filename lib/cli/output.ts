/**
 * Output for the subcommands: the common options (-f, --json, --ndjson,
 * --iso), writing with stdout backpressure, time formats that who(1) and
 * last(1) users know, and the progress indicator for large files.
 */
import { once } from 'events';
import { parseArgs } from 'util';
import { MAX_DATE_MS } from '../entry';
import { UsageError, column, safe } from './common';
import { localFields } from './local-time';
import { cTimeLocale } from './locale';

export type Format = 'human' | 'json' | 'ndjson';

/** The options every subcommand takes, plus its own. */
export interface ParsedArgs {
  file: string | undefined;
  format: Format;
  iso: boolean;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const COMMON: OptionSpec = {
  file: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
};

/** --iso, taken only by the subcommands that print times (elsewhere it is an unknown option). */
export const ISO_OPTION: OptionSpec = { iso: { type: 'boolean' } };

/**
 * Parses `args` as getopt does: a repeated value option, the last one wins
 * (`last -n 2 -n 3`: aliases with a default depend on it); any mistake is a
 * UsageError worded as getopt words it.
 */
export function parseCommand(command: string, args: string[], extra: OptionSpec = {}, positionals = false): ParsedArgs {
  const options = { ...COMMON, ...extra };
  // Not parseArgs' strict mode: its messages quote what they cannot balance ('-- "--foo").
  const parsed = parseArgs({ args: withAttachedValues(args, options), options, allowPositionals: true, strict: false, tokens: true });
  checkTokens(command, parsed.tokens ?? [], options, positionals);
  const v = parsed.values as ParsedArgs['values'];
  if (v.json && v.ndjson) throw new UsageError(`${command}: --json and --ndjson exclude each other`);
  if (v.file === '') throw new UsageError(`${command}: -f needs a file name`);
  return {
    file: v.file as string | undefined,
    format: v.json ? 'json' : v.ndjson ? 'ndjson' : 'human',
    iso: Boolean(v.iso),
    values: v,
    positionals: parsed.positionals,
  };
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** Refuses what parseArgs (not strict) let through, each mistake worded as getopt words it. */
export function checkTokens(command: string, tokens: Token[], options: OptionSpec, positionals: boolean): void {
  for (const t of tokens) {
    if (t.kind === 'positional' && !positionals) throw new UsageError(`${command}: unexpected argument '${t.value}'`);
    if (t.kind !== 'option') continue;
    const long = t.rawName.startsWith('--');
    const spec = Object.prototype.hasOwnProperty.call(options, t.name) ? options[t.name] : undefined;
    if (!spec) throw new UsageError(long ? `${command}: unrecognized option '${t.rawName}'` : `${command}: invalid option -- '${t.rawName.slice(1)}'`);
    if (spec.type === 'string' && t.value === undefined) {
      throw new UsageError(long ? `${command}: option '${t.rawName}' requires an argument` : `${command}: option requires an argument -- '${t.rawName.slice(1)}'`);
    }
    if (spec.type === 'boolean' && t.inlineValue) throw new UsageError(`${command}: option '${t.rawName}' doesn't allow an argument`);
  }
}

/**
 * getopt's rule, which util-linux and shadow follow: an option that takes a
 * value takes the next word whatever it looks like (`-s -3days`, `-u -1001`).
 * util.parseArgs refuses a value that begins with '-' unless attached, so
 * attach it (`--since=-3days`).
 */
export function withAttachedValues(args: string[], options: OptionSpec): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.set(`--${name}`, name);
    if (spec.short) takesValue.set(`-${spec.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = takesValue.get(args[i]);
    if (args[i] === '--') { out.push(...args.slice(i)); break; }
    if (name !== undefined && i + 1 < args.length && args[i + 1].startsWith('-')) {
      out.push(`--${name}=${args[++i]}`);
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

// Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1
// controls (U+009B is CSI), bidi and zero-width format characters.
const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON.stringify, with the characters above written as \uXXXX escapes: the
 * same JSON value, so strings are still carried exactly, but safe to print.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const FLUSH_AT = 64 * 1024;

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
   * The first `count` characters of `s`, when all are printable ASCII
   * (nothing to escape, a byte each); false, with nothing written, otherwise.
   */
  private printable(s: string, count: number): boolean {
    if (this.pos + count > this.buf.length) this.makeRoom(count);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < count; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
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
   * A string from a record, escaped (safe()) and padded with spaces to
   * `width` bytes of UTF-8, as printf's `%-Ns` pads (utmpdump's columns).
   */
  field(s: string, width: number): void {
    if (this.printable(s, s.length)) {
      this.spaces(width - s.length);
      return;
    }
    const text = safe(s); // escaped, counted in bytes
    this.text(text);
    this.spaces(width - Buffer.byteLength(text, 'utf8'));
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
    const f = localFields(ms);
    if (this.pos + 16 > this.buf.length) this.makeRoom(16);
    const b = this.buf;
    const p = this.pos;
    const d = f.weekday * 3;
    const m = (f.month - 1) * 3;
    b[p] = DAY_BYTES[d];
    b[p + 1] = DAY_BYTES[d + 1];
    b[p + 2] = DAY_BYTES[d + 2];
    b[p + 3] = 0x20;
    b[p + 4] = MONTH_BYTES[m];
    b[p + 5] = MONTH_BYTES[m + 1];
    b[p + 6] = MONTH_BYTES[m + 2];
    b[p + 7] = 0x20;
    const tens = (f.day / 10) | 0;
    b[p + 8] = tens === 0 ? 0x20 : 0x30 + tens; // %e
    b[p + 9] = 0x30 + f.day - 10 * tens;
    b[p + 10] = 0x20;
    this.pos = p + 11;
    this.two(f.hours);
    this.ascii(':');
    this.two(f.minutes);
  }

  /** clock(ms) (`09:30`). */
  clock(ms: number): void {
    const f = localFields(ms);
    this.two(f.hours);
    this.ascii(':');
    this.two(f.minutes);
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
    // The stream may keep the bytes until written: a new buffer for what follows.
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(2 * FLUSH_AT);
    this.pos = 0;
    if (!this.out.write(chunk)) await once(this.out as NodeJS.EventEmitter, 'drain');
  }

  // A line longer than the buffer holds: a larger buffer, the bytes so far copied.
  private makeRoom(n: number): void {
    const larger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n + FLUSH_AT));
    this.buf.copy(larger, 0, 0, this.pos);
    this.buf = larger;
  }
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

/** Two digits, as strftime's %H, %M, %S, %d, %m print them. */
export const p2 = (n: number) => (n >= 0 && n < 100 ? TWO_DIGITS[n] : String(n).padStart(2, '0'));
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// %e: the day of the month padded with a space.
const DAY_OF_MONTH = Array.from({ length: 32 }, (_, i) => String(i).padStart(2));
const DAY_BYTES = Buffer.from(DAYS.join(''), 'latin1');
const MONTH_BYTES = Buffer.from(MONTHS.join(''), 'latin1');

/** An entry's `date` as milliseconds, without making the Date (Entry#date's rounding and range). */
export function entryMs(utTime: number): number {
  const ms = Math.floor(Math.round(utTime * 1e6) / 1000);
  return ms > MAX_DATE_MS ? MAX_DATE_MS : ms < -MAX_DATE_MS ? -MAX_DATE_MS : ms;
}

// Each takes a Date or its milliseconds (the CLI's loops format numbers: no Date per time).
type Time = Date | number;
export const msOf = (t: Time) => (typeof t === 'number' ? t : t.getTime());

/** The local offset from UTC: `+0100` (strftime %z), or `+01:00` with `separator` ':'. */
export function utcOffset(d: Time, separator = ''): string {
  return offsetText(localFields(msOf(d)).offsetMinutes, separator);
}

// The last offset turned into text, per separator.
let offsetMinutesDone = NaN;
let offsetSeparatorDone = '';
let offsetTextDone = '';
function offsetText(off: number, separator: string): string {
  if (off === offsetMinutesDone && separator === offsetSeparatorDone) return offsetTextDone;
  const a = Math.abs(off);
  offsetMinutesDone = off;
  offsetSeparatorDone = separator;
  offsetTextDone = `${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${separator}${p2(a % 60)}`;
  return offsetTextDone;
}

/** ISO 8601 in local time with the offset, as `last --time-format iso` prints it. */
export function isoLocal(d: Time): string {
  const f = localFields(msOf(d));
  return `${f.year}-${p2(f.month)}-${p2(f.day)}T${p2(f.hours)}:${p2(f.minutes)}:${p2(f.seconds)}` + offsetText(f.offsetMinutes, ':');
}

/** `YYYY-MM-DDTHH:MM:SS,uuuuuu+HH:MM`, utmpdump's time, into `w`: `usec` (0-999999) as six digits after the seconds. */
export function writeIsoLocalMicros(w: LineWriter, ms: number, usec: number): void {
  const f = localFields(ms);
  if (f.year !== isoYear || f.month !== isoMonth || f.day !== isoDay) {
    isoYear = f.year;
    isoMonth = f.month;
    isoDay = f.day;
    isoDate = `${f.year}-${p2(f.month)}-${p2(f.day)}T`; // the year as a number prints, as isoLocal
  }
  w.ascii(isoDate);
  w.two(f.hours);
  w.ascii(':');
  w.two(f.minutes);
  w.ascii(':');
  w.two(f.seconds);
  w.ascii(',');
  w.six(usec);
  w.ascii(f.offsetMinutes === 0 ? '+00:00' : offsetText(f.offsetMinutes, ':'));
}
// The date writeIsoLocalMicros last wrote (rows come in time order: the same day again and again).
let isoYear = NaN;
let isoMonth = NaN;
let isoDay = NaN;
let isoDate = '';

/** `YYYY-MM-DD HH:MM` in local time, as who(1) prints it; `Nov 22 05:20` (`%b %e %H:%M`) where LC_TIME is C, as who prints it there. */
export function localMinutes(d: Time): string {
  const f = localFields(msOf(d));
  if (cTimeLocale()) return `${MONTHS[f.month - 1]} ${DAY_OF_MONTH[f.day]} ${p2(f.hours)}:${p2(f.minutes)}`;
  return `${f.year}-${p2(f.month)}-${p2(f.day)} ${p2(f.hours)}:${p2(f.minutes)}`;
}

/** `Mon Jan 15 09:30`, last(1)'s login column (strftime `%a %b %e %H:%M`). */
export function lastStamp(d: Time): string {
  const ms = msOf(d);
  const minute = Math.floor(ms / 60_000);
  // Rows come in time order: the minute before is often the same one.
  if (minute === stampMinute) return stampText;
  const f = localFields(ms);
  stampText = `${DAYS[f.weekday]} ${MONTHS[f.month - 1]} ${DAY_OF_MONTH[f.day]} ${p2(f.hours)}:${p2(f.minutes)}`;
  stampMinute = f.offsetMs % 60_000 === 0 ? minute : NaN; // local minutes are UTC minutes only for whole-minute offsets
  return stampText;
}
let stampMinute = NaN;
let stampText = '';

/** `Mon Jan 15 09:30:00 2024`, as ctime(3) prints it (last's "begins" line). */
export function ctimeStamp(d: Time): string {
  const f = localFields(msOf(d));
  return `${DAYS[f.weekday]} ${MONTHS[f.month - 1]} ${DAY_OF_MONTH[f.day]} ${p2(f.hours)}:${p2(f.minutes)}:${p2(f.seconds)} ${f.year}`;
}

/** `HH:MM` in local time. */
export function clock(d: Time): string {
  const ms = msOf(d);
  const minute = Math.floor(ms / 60_000);
  if (minute === clockMinute) return clockText;
  const f = localFields(ms);
  clockText = `${p2(f.hours)}:${p2(f.minutes)}`;
  clockMinute = f.offsetMs % 60_000 === 0 ? minute : NaN;
  return clockText;
}
let clockMinute = NaN;
let clockText = '';

/** who(1)'s time column, or ISO 8601 with --iso. */
export function whoTime(d: Time, iso: boolean): string {
  return iso ? isoLocal(d) : localMinutes(d);
}

/** The parts of a stream the progress indicator needs (a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Files at least this large get a progress indicator. */
export const PROGRESS_MIN_BYTES = 32 << 20;

/**
 * A percentage on stderr while a large file is read, redrawn at most every
 * `intervalMs`, erased at the end. Only when stderr is a terminal: a log file
 * or a pipe never receives it.
 */
export class Progress {
  /** Whether anything will be drawn (stderr is a terminal and the file is large). */
  readonly enabled: boolean;
  private lastDraw = 0;
  private drawn = false;
  private calls = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 200,
  ) {
    this.enabled = stream.isTTY === true && total >= PROGRESS_MIN_BYTES;
  }

  /** Called per record with the bytes read so far; cheap when nothing is drawn. */
  update(done: number): void {
    // Look at the clock only every 1024 records.
    if (!this.enabled || (this.calls++ & 1023) !== 0) return;
    const t = this.now();
    if (t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.drawn = true;
    const pct = Math.min(100, Math.floor((done / this.total) * 100));
    this.stream.write(`\rreading ${this.label}: ${pct}%`);
  }

  /** Erases the indicator. */
  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
