/**
 * Decodes records out of a Buffer by layout. Every read is bounded by the
 * record and field sizes: nothing here can read past the bytes it was given.
 */
import { type IntField, type IntReader, type RecordLayout, intReader } from './layouts';
import { Entry, type UtmpEntry, dateCanHold, devicePath } from '../model/entry';
import { typeCode, typeName } from '../platform/platform';
import { type WarningSink, timeOutOfRange } from '../model/warnings';

declare global {
  // Node's Buffer has these since v0.x; @types/node does not list them.
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
  }
}

// Reused by decodeString to tell its caller about bad UTF-8 without allocating.
let sawInvalidUtf8 = false;

// The same few strings (lines, users, hosts, ids) fill a wtmp. Each ASCII
// field is hashed while looking for its NUL, and a slot that holds a string of
// the same hash and length hands it back: no call into C++ to make a new one.
// Every hit is checked byte for byte, so a collision only costs a miss. Room
// for a busy server's ~25,000 users, addresses and lines (8,192 slots missed
// on a third of its fields). A slot is 80 bytes of one Int32Array, so that a
// lookup in this 2.5 MB table touches one or two cache lines: its hash,
// length, counts, an address, and the bytes of a string up to SHORT_BYTES
// long (read back a word at a time); a longer one is checked against its own characters.
const SLOTS = 32768;
const SLOT_BYTES = 256; // the longest string field of any layout
const SLOT_WORDS = 20;
// Where each value sits in a slot's words.
const HASH = 0;
const LENGTH = 1; // 0: no string held
// Lookups since the slot's string was last used. A held string gives way only
// after many: where strings seldom repeat (a busy server's thousands of users and
// addresses), replacing on every second sighting made each new string outlive its
// entry and fill the old generation with garbage (twice the peak RSS and +40% CPU).
const IDLE = 2;
// The hash last missed: a string is kept only when seen a second time, so
// strings that never repeat (tmux's host names) neither push out the ones
// that do nor outlive their entry.
const MISSED = 3;
// The 16 address bytes of a record whose address text was this string (sshd
// records the address as the host): the next such record takes its address
// text from here, in the cache line its host was just read from. All zero: none.
const ADDRESS = 4;
const BYTES = 8;
const SHORT_BYTES = (SLOT_WORDS - BYTES) * 4;
const slotWords = new Int32Array(SLOTS * SLOT_WORDS);
const slotBytes = new Uint8Array(slotWords.buffer); // the same bytes
const slotText: string[] = new Array<string>(SLOTS).fill('');
// The device path of a line held in a slot, made the first time it is asked for.
const slotDevicePath: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
// The slot decodeString last answered from or filled; -1 when it used none.
let lastSlot = -1;
const IDLE_BEFORE_REPLACED = 64;

// The fields of every layout start 4-aligned in the record and every record
// buffer does, so on a little-endian host decodeString reads four bytes at a
// time through an Int32Array over the buffer (made once per buffer: the
// cursors reuse theirs); elsewhere, a byte at a time.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const NO_WORDS = new Int32Array(0);
let wordsOf: Buffer | null = null;
let words: Int32Array<ArrayBufferLike> = NO_WORDS;

/** A NUL-terminated, fixed-size field: bounded by `size`, cut at the first NUL. */
export function decodeString(buf: Buffer, start: number, size: number): string {
  if (buf !== wordsOf) {
    wordsOf = buf;
    words = LITTLE_ENDIAN_HOST && (buf.byteOffset & 3) === 0 ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : NO_WORDS;
  }
  let end = start;
  const limit = start + size;
  let high = 0;
  let hash = size;
  const aligned = ((start | size) & 3) === 0 && limit <= words.length << 2;
  if (aligned) {
    // Whole words while no byte is NUL ((w - 0x01..) & ~w & 0x80.. marks the first
    // one exactly), then the bytes before the NUL of the last word, masked.
    for (let i = start >>> 2; end < limit; i++) {
      const w = words[i];
      const zero = (w - 0x01010101) & ~w & 0x80808080;
      if (zero === 0) {
        high |= w;
        hash = (Math.imul(hash, 31) + w) | 0;
        end += 4;
        continue;
      }
      const kept = (31 - Math.clz32(zero & -zero)) >>> 3; // bytes before the NUL
      if (kept > 0) {
        const part = w & ((1 << (8 * kept)) - 1);
        high |= part;
        hash = (Math.imul(hash, 31) + part) | 0;
        end += kept;
      }
      break;
    }
    high &= 0x80808080;
  } else {
    while (end < limit) {
      const b = buf[end];
      if (b === 0) break;
      high |= b & 0x80;
      hash = (Math.imul(hash, 31) + b) | 0;
      end++;
    }
  }
  const length = end - start;
  lastSlot = -1;
  if (length === 0) return '';
  if (high !== 0) {
    const text = buf.utf8Slice(start, end);
    if (text.includes('\uFFFD')) sawInvalidUtf8 = true;
    return text;
  }
  if (length > SLOT_BYTES) return buf.latin1Slice(start, end);
  const slot = (hash ^ (hash >>> 15)) & (SLOTS - 1);
  const w = slot * SLOT_WORDS;
  if (slotWords[w + HASH] === hash && slotWords[w + LENGTH] === length &&
    (length > SHORT_BYTES ? sameChars(buf, start, slotText[slot], length) : aligned ? sameWords(start >>> 2, w + BYTES, length) : sameBytes(buf, start, (w + BYTES) * 4, length))) {
    lastSlot = slot;
    slotWords[w + IDLE] = 0;
    return slotText[slot];
  }
  const text = buf.latin1Slice(start, end); // plain ASCII
  const held = slotWords[w + LENGTH] !== 0 && ++slotWords[w + IDLE] <= IDLE_BEFORE_REPLACED;
  if (slotWords[w + MISSED] !== hash || held) {
    slotWords[w + MISSED] = hash;
    return text;
  }
  slotWords[w + IDLE] = 0;
  if (length <= SHORT_BYTES) for (let i = 0, to = (w + BYTES) * 4; i < length; i++) slotBytes[to + i] = buf[start + i];
  slotWords[w + HASH] = hash;
  slotWords[w + LENGTH] = length;
  slotWords.fill(0, w + ADDRESS, w + ADDRESS + 4);
  slotText[slot] = text;
  slotDevicePath[slot] = undefined;
  lastSlot = slot;
  return text;
}

// Whether the `length` bytes at word `at` of `words` are those at word `slotAt` of slotWords (the last word masked).
function sameWords(at: number, slotAt: number, length: number): boolean {
  const whole = length >>> 2;
  for (let i = 0; i < whole; i++) if (words[at + i] !== slotWords[slotAt + i]) return false;
  const rest = length & 3;
  return rest === 0 || ((words[at + whole] ^ slotWords[slotAt + whole]) & ((1 << (8 * rest)) - 1)) === 0;
}

// Whether the `length` bytes at `start` of `buf` are those at `base` of slotBytes.
function sameBytes(buf: Buffer, start: number, base: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (slotBytes[base + i] !== buf[start + i]) return false;
  return true;
}

// Whether the `length` bytes at `start` of `buf` are the characters of `text` (as long, ASCII).
function sameChars(buf: Buffer, start: number, text: string, length: number): boolean {
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/** Decodes whole records of one layout into entries, every field reader specialised once. */
export class RecordDecoder {
  // The integer fields' readers, specialised once (also for writers that read a record's bytes, as dump's).
  readonly type: IntReader;
  readonly pid: IntReader;
  readonly sec: IntReader;
  readonly usec: IntReader;
  readonly exitTermination: IntReader | null;
  readonly exitStatus: IntReader | null;
  readonly session: IntReader | null;

  /** Bytes per record. */
  readonly size: number;
  private readonly userProcess: number | undefined;
  constructor(private readonly layout: RecordLayout) {
    this.size = layout.size;
    const reader = (f: IntField | undefined) => (f ? intReader(f, layout.littleEndian) : null);
    this.type = reader(layout.type)!;
    this.pid = reader(layout.pid)!;
    this.sec = reader(layout.sec)!;
    this.usec = reader(layout.usec)!;
    this.exitTermination = reader(layout.exitTermination);
    this.exitStatus = reader(layout.exitStatus);
    this.session = reader(layout.session);
    this.userProcess = typeCode('USER_PROCESS', layout.numbering);
  }

  /**
   * Whether the record at `at` is no USER_PROCESS and would decode without a
   * warning (a known type other than EMPTY, ASCII strings): users() moves past
   * such records undecoded, and so reports exactly what decoding them would.
   */
  quietNonUser(buf: Buffer, at: number): boolean {
    const code = this.type(buf, at);
    if (code === 0 || code === this.userProcess || typeName(code, this.layout.numbering) === 'UNKNOWN') return false;
    const l = this.layout;
    return isAscii(buf, at + l.line.offset, l.line.size) && isAscii(buf, at + l.id.offset, l.id.size) &&
      isAscii(buf, at + l.user.offset, l.user.size) && isAscii(buf, at + l.host.offset, l.host.size);
  }

  /**
   * The entry for the record at byte `at` of `buf`. `lean`: for a reader
   * that uses no `ut_line` (device path), `ut_id` or `ut_exit` (sessions'
   * pairing): those are left empty, but an id that is not ASCII is still
   * decoded, so the warnings are the same. `addressText` false: `address`
   * is left null (see CursorHints.noAddressText).
   */
  entry(buf: Buffer, at: number, lean = false, addressText = true): UtmpEntry {
    const l = this.layout;
    const line = decodeString(buf, at + l.line.offset, l.line.size);
    const slot = lastSlot;
    const device = lean ? '' : slot < 0 ? devicePath(line) : (slotDevicePath[slot] ??= devicePath(line));
    const id = lean && isAscii(buf, at + l.id.offset, l.id.size) ? '' : decodeString(buf, at + l.id.offset, l.id.size);
    const user = decodeString(buf, at + l.user.offset, l.user.size);
    const host = decodeString(buf, at + l.host.offset, l.host.size);
    const hostSlot = lastSlot;
    const e = new Entry();
    e.setType(this.type(buf, at), l.numbering);
    e.ut_pid = this.pid(buf, at);
    e.line = line;
    e.ut_line = device;
    e.ut_id = id;
    e.ut_user = user;
    e.ut_host = host;
    e.setTime(this.sec(buf, at), this.usec(buf, at));
    if (this.exitStatus && !lean) e.setExit(this.exitTermination!(buf, at), this.exitStatus(buf, at));
    if (this.session) e.ut_session = this.session(buf, at);
    if (l.addr) {
      const addr = at + l.addr.offset;
      const a = wordIndex(buf, addr, 16);
      if (a >= 0 && (words[a] | words[a + 1] | words[a + 2] | words[a + 3]) === 0) {
        e.setAddressText(buf, addr, null); // none recorded (a logout, a local login)
      } else if (hostSlot >= 0 && addressText && isSlotAddress(hostSlot, buf, addr, a)) {
        e.setAddressText(buf, addr, host);
      } else {
        e.setAddress(buf, addr, addressText);
        if (hostSlot >= 0 && e.address === host) for (let i = 0, to = (hostSlot * SLOT_WORDS + ADDRESS) * 4; i < 16; i++) slotBytes[to + i] = buf[addr + i];
      }
    }
    return e;
  }
}

// The index in `words` of the `size` bytes at `start` of `buf`, where they can be read as words
// (decodeString made `words` for this buffer, on a little-endian host); -1 where not.
function wordIndex(buf: Buffer, start: number, size: number): number {
  return buf === wordsOf && (start & 3) === 0 && start + size <= words.length << 2 ? start >>> 2 : -1;
}

// Whether the 16 address bytes at `start` of `buf` (word `a` of `words`, or -1) are those kept in `slot` (never all zero).
function isSlotAddress(slot: number, buf: Buffer, start: number, a: number): boolean {
  const w = slot * SLOT_WORDS + ADDRESS;
  if ((slotWords[w] | slotWords[w + 1] | slotWords[w + 2] | slotWords[w + 3]) === 0) return false;
  if (a >= 0) return words[a] === slotWords[w] && words[a + 1] === slotWords[w + 1] && words[a + 2] === slotWords[w + 2] && words[a + 3] === slotWords[w + 3];
  for (let i = 0, from = w * 4; i < 16; i++) if (slotBytes[from + i] !== buf[start + i]) return false;
  return true;
}

/** Whether a NUL-terminated field holds only ASCII (no byte decodeString would read as UTF-8). */
export function isAscii(buf: Buffer, start: number, size: number): boolean {
  for (let i = start; i < start + size; i++) {
    const b = buf[i];
    if (b === 0) return true;
    if (b >= 0x80) return false;
  }
  return true;
}

const decoders = new Map<RecordLayout, RecordDecoder>();

/** The decoder of `layout`, made once. */
export function recordDecoder(layout: RecordLayout): RecordDecoder {
  let d = decoders.get(layout);
  if (!d) decoders.set(layout, (d = new RecordDecoder(layout)));
  return d;
}

function isAllZero(buf: Buffer, at: number, size: number): boolean {
  for (let i = at; i < at + size; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * The entry for the record at byte `at` of `buf` (file offset `fileOffset`),
 * its problems reported to `sink`: an unknown type, all zero bytes, a string
 * that is not UTF-8.
 */
export function decodeAt(
  decoder: RecordDecoder, buf: Buffer, at: number, fileOffset: number, path: string, sink: WarningSink, lean = false, addressText = true,
): UtmpEntry {
  sawInvalidUtf8 = false;
  const entry = decoder.entry(buf, at, lean, addressText);
  if (entry.ut_type === 'UNKNOWN') {
    sink.report({ code: 'UNKNOWN_TYPE', message: `unknown record type ${entry.ut_type_code}`, path, offset: fileOffset });
  } else if (entry.ut_type_code === 0 && entry.ut_time === 0 && isAllZero(buf, at, decoder.size)) {
    sink.report({ code: 'ZERO_RECORD', message: 'record is all zero bytes', path, offset: fileOffset });
  }
  if (sawInvalidUtf8) {
    sink.report({ code: 'INVALID_UTF8', message: 'string field is not valid UTF-8', path, offset: fileOffset });
  }
  if (!dateCanHold(entry.ut_time)) sink.report(timeOutOfRange(entry.ut_time, path, fileOffset));
  return entry;
}

/**
 * Decodes the whole records in `buf[0, length)`, which starts at file offset
 * `fileOffset`, into `out`, reporting damaged records to `sink`. Returns the
 * number of bytes consumed (a multiple of the record size).
 */
export function decodeChunk(
  buf: Buffer,
  length: number,
  fileOffset: number,
  layout: RecordLayout,
  path: string,
  sink: WarningSink,
  out: UtmpEntry[],
): number {
  const size = layout.size;
  const whole = Math.floor(length / size) * size;
  const decoder = recordDecoder(layout);
  for (let at = 0; at < whole; at += size) out.push(decodeAt(decoder, buf, at, fileOffset + at, path, sink));
  return whole;
}
