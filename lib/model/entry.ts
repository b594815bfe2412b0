/**
 * The entry shape every reader yields: pyutmp's fields, plus what JavaScript
 * users reach for (a Date, the address as text, the line as recorded).
 */
import type { NativeRecord } from '../platform/native';
import { type TypeNumbering, type UtmpType, typeName } from '../platform/platform';

/** Exit status of a DEAD_PROCESS (Linux `struct exit_status`). */
export interface ExitStatus {
  /** Process termination status (`e_termination`). */
  e_termination: number;
  /** Process exit status (`e_exit`). */
  e_exit: number;
}

/**
 * One record of a utmp, wtmp or btmp database.
 *
 * Fields marked optional exist only where the platform (or the file's
 * layout) has them: macOS and FreeBSD have no exit status, session or address.
 * The others (type, pid, id included) are on every supported platform.
 */
export interface UtmpEntry {
  /** Login name; cut at the first NUL, at most the field's size (32 bytes on Linux). */
  ut_user: string;
  /**
   * Terminal as a device path (`/dev/pts/0`). Pseudo-lines (`~`, `ssh:notty`,
   * `:0`, an empty line) stay as recorded.
   */
  ut_line: string;
  /** Remote host, X display, or the kernel version in BOOT_TIME/RUN_LVL records. */
  ut_host: string;
  /** Seconds since the epoch with microseconds as the fraction, like Python's `time.time()`. */
  ut_time: number;
  /** True for a USER_PROCESS record: a user logged in. */
  ut_user_process: boolean;
  /** Portable type name; `UNKNOWN` for a number the platform does not define. Every platform. */
  ut_type: UtmpType;
  /** The type number as stored, in the platform's own numbering. Every platform. */
  ut_type_code: number;
  /** PID of the login process. Every platform. */
  ut_pid: number;
  /** Terminal name suffix or inittab id (up to 4 bytes). Every platform. */
  ut_id: string;
  /** Exit status of the process (`ut_exit.e_exit`), as pyutmp reports it. Linux only. */
  ut_exit_code?: number;
  /** Both halves of `ut_exit`. Linux only. */
  ut_exit?: ExitStatus;
  /** Session id (`getsid`). Linux only. */
  ut_session?: number;
  /** First four address bytes as an unsigned 32-bit number, network order (10.0.0.5 is 0x0a000005). Linux only. */
  ut_addr?: number;
  /**
   * The record's time as a Date (millisecond precision); a time beyond what a
   * Date can hold (±8.64e15 ms, reported as the warning TIME_OUT_OF_RANGE) is
   * the nearest Date, so `date` is always valid. Made when read (a new
   * Date each time), so entries cost no Date until one is wanted; it is not an
   * own property (`{ ...entry }` leaves it out), but `JSON.stringify` includes it.
   */
  readonly date: Date;
  /** The remote address as text (`10.0.0.5`, `2001:db8::1`, `::ffff:10.0.0.5` as glibc's inet_ntop writes it), or null when none is recorded. Linux only. */
  address?: string | null;
  /** The line exactly as recorded (`pts/0`, `~`). */
  line: string;
  /**
   * Which database answered (a `DataSource`): `'logind'` on entries made from
   * systemd-logind's sessions (where the system keeps no utmp); absent on
   * entries read from a utmp, wtmp or btmp file.
   */
  readonly source?: 'logind';
}

/** The furthest a Date reaches from the epoch, either way: 8.64e15 ms (±100,000,000 days). */
export const MAX_DATE_MS = 8.64e15;

/** Whether `seconds` since the epoch (a record's `ut_time`) is a time a Date can hold. */
export function dateCanHold(seconds: number): boolean {
  return seconds <= MAX_DATE_MS / 1000 && seconds >= -MAX_DATE_MS / 1000;
}

const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]*$/;

/** `pts/0` becomes `/dev/pts/0`; pseudo-lines (`~`, `ssh:notty`, `:0`, '') stay as they are. */
export function devicePath(line: string): string {
  return DEVICE_NAME.test(line) ? '/dev/' + line : line;
}

// Addresses repeat too (the same clients log in again and again): a
// direct-mapped cache of their text, checked against all 16 bytes. An address
// is kept when seen a second time, so a brute-force btmp's addresses, each
// seen once, leave no text behind them.
const ADDRESS_SLOTS = 32768;
const addressKeys = new Int32Array(ADDRESS_SLOTS * 4);
const addressTexts: (string | undefined)[] = new Array<string | undefined>(ADDRESS_SLOTS).fill(undefined);
const addressMissed = new Int32Array(ADDRESS_SLOTS);

// The big-endian 32-bit word at `at` of `bytes`.
const wordAt = (bytes: Uint8Array, at: number) => (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];

/**
 * IPv4 when only the first word is set (the glibc convention), IPv6 otherwise;
 * null when all zero. Reads the 16 bytes at `start` of `bytes`.
 */
export function addressText(bytes: Uint8Array, start = 0): string | null {
  return addressTextOr(bytes, start, '');
}

// addressText, answered by `host` (the record's ut_host) when that is the same
// text: sshd records the address as the host, so a new address costs no new string.
function addressTextOr(bytes: Uint8Array, start: number, host: string): string | null {
  const w0 = wordAt(bytes, start);
  const w1 = wordAt(bytes, start + 4);
  const w2 = wordAt(bytes, start + 8);
  const w3 = wordAt(bytes, start + 12);
  const tail = w1 | w2 | w3;
  if ((w0 | tail) === 0) return null;
  const hash = (Math.imul(Math.imul(Math.imul(w0, 31) + w1, 31) + w2, 31) + w3) | 0;
  const slot = Math.imul(hash, 0x9e3779b1) >>> 17; // 15 bits: ADDRESS_SLOTS
  const k = slot * 4;
  // An empty slot's key is all zero, which no address here is.
  if (addressKeys[k] === w0 && addressKeys[k + 1] === w1 && addressKeys[k + 2] === w2 && addressKeys[k + 3] === w3) return addressTexts[slot]!;
  const length = tail === 0 ? writeIPv4(bytes, start, addressBytes, 0) : writeIPv6(bytes, start, addressBytes, 0);
  const text = host.length === length && isAddressBytes(host) ? host : addressBytes.latin1Slice(0, length);
  if (addressMissed[slot] !== hash) {
    addressMissed[slot] = hash;
    return text;
  }
  addressKeys[k] = w0;
  addressKeys[k + 1] = w1;
  addressKeys[k + 2] = w2;
  addressKeys[k + 3] = w3;
  addressTexts[slot] = text;
  return text;
}

// Whether `text` is the characters in addressBytes (as many as it has).
function isAddressBytes(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== addressBytes[i]) return false;
  return true;
}

/**
 * addressText's characters, written at `p` of `out` (39 at most) with no
 * string made; returns where they end (`p` when no address is recorded).
 */
export function writeAddressText(bytes: Uint8Array, start: number, out: Uint8Array, p: number): number {
  let tail = 0;
  for (let i = start + 4; i < start + 16; i++) tail |= bytes[i];
  if (tail !== 0) return writeIPv6(bytes, start, out, p);
  return (bytes[start] | bytes[start + 1] | bytes[start + 2] | bytes[start + 3]) === 0 ? p : writeIPv4(bytes, start, out, p);
}

// The dotted quad of the first 4 bytes at `start`, written at `p` of `out`; returns where it ends.
function writeIPv4(bytes: Uint8Array, start: number, out: Uint8Array, p: number): number {
  p = decimalByte(out, p, bytes[start]);
  for (let i = 1; i < 4; i++) {
    out[p++] = 0x2e; // .
    p = decimalByte(out, p, bytes[start + i]);
  }
  return p;
}

// IPv6, no arrays: the words are read where they lie. The longest run of
// two or more zero words becomes '::' (RFC 5952; the first such run on a tie).
function writeIPv6(bytes: Uint8Array, start: number, out: Uint8Array, p: number): number {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0, run = 0; i < 8; i++) {
    if (bytes[start + 2 * i] === 0 && bytes[start + 2 * i + 1] === 0) {
      if (++run > bestLen) {
        bestLen = run;
        bestStart = i - run + 1;
      }
    } else {
      run = 0;
    }
  }
  // As glibc's inet_ntop writes them (utmpdump, last -i, who --ips): an IPv4
  // address inside IPv6 (::a.b.c.d, ::ffff:a.b.c.d) ends in its dotted quad.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && bytes[start + 10] === 0xff && bytes[start + 11] === 0xff))) {
    out[p++] = 0x3a;
    out[p++] = 0x3a; // ::
    if (bestLen === 5) {
      out.fill(0x66, p, p + 4); // ffff:
      p += 4;
      out[p++] = 0x3a;
    }
    return writeIPv4(bytes, start + 12, out, p);
  }
  const first = p;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out[p++] = 0x3a;
      out[p++] = 0x3a; // ::
      i += bestLen - 1;
      continue;
    }
    if (p !== first && out[p - 1] !== 0x3a) out[p++] = 0x3a;
    p = hexWord(out, p, (bytes[start + 2 * i] << 8) | bytes[start + 2 * i + 1]);
  }
  return p;
}

// addressText's characters go here, made a string once (no string a word); room for 39 (IPv6).
const addressBytes = Buffer.alloc(48);
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

// Writes `n` (0-255) in decimal at `p` of `out`; returns where it ends.
function decimalByte(out: Uint8Array, p: number, n: number): number {
  if (n >= 100) out[p++] = 0x30 + ((n / 100) | 0);
  if (n >= 10) out[p++] = 0x30 + (((n / 10) | 0) % 10);
  out[p++] = 0x30 + (n % 10);
  return p;
}

// Writes `w` (0-0xffff) in lowercase hex without leading zeros at `p` of `out`; returns where it ends.
function hexWord(out: Uint8Array, p: number, w: number): number {
  for (let shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0; shift >= 0; shift -= 4) out[p++] = HEX_DIGITS[(w >>> shift) & 15];
  return p;
}

/** `ut_tv` as stored, where its tv_usec is outside 0 to 999,999 (then `ut_time` carries it into seconds). @internal */
export interface StoredTime {
  sec: number;
  usec: number;
}
/** The key of an entry's `StoredTime` (not enumerable: not in JSON or spreads). @internal */
export const STORED_TV = Symbol('ut_tv as stored');

/**
 * The entry class. A reader makes one with `new Entry()` and sets its
 * record's fields on it in one order (the setters below do the fields that
 * take work), so that every entry of a layout has one shape and nothing is
 * allocated on the way but the entry. The fields start with a value, so that
 * V8 keeps them all inside the object; `date` is made on demand.
 */
export class Entry implements UtmpEntry {
  ut_type: UtmpType = 'EMPTY';
  ut_type_code = 0;
  ut_pid = 0;
  ut_line = '';
  ut_id = '';
  ut_user = '';
  ut_host = '';
  ut_user_process = false;
  line = '';
  // Not given a start value: the first time stored decides how V8 keeps the
  // field (a whole number stays unboxed, as btmp's are), and every reader sets it.
  declare ut_time: number;
  declare ut_exit_code?: number;
  declare ut_exit?: ExitStatus;
  declare ut_session?: number;
  declare ut_addr?: number;
  declare address?: string | null;

  /** `ut_type`, `ut_type_code` and `ut_user_process` from the type number `code` in `numbering`. */
  setType(code: number, numbering: TypeNumbering): void {
    const type = typeName(code, numbering);
    this.ut_type = type;
    this.ut_type_code = code;
    this.ut_user_process = type === 'USER_PROCESS';
  }

  /** `ut_time` from whole seconds and microseconds. */
  setTime(sec: number, usec: number): void {
    this.ut_time = sec + usec / 1e6;
    // A tv_usec that is no microsecond count is kept as stored, for `utmpx dump` (as utmpdump prints it).
    if (usec < 0 || usec > 999999) Object.defineProperty(this, STORED_TV, { value: { sec, usec }, configurable: true });
  }

  /** `ut_exit` and `ut_exit_code` (Linux). */
  setExit(termination: number, status: number): void {
    this.ut_exit_code = status;
    this.ut_exit = { e_termination: termination, e_exit: status };
  }

  /** `ut_addr` and `address` from the 16 address bytes at `start` of `bytes` (Linux); `address` null without `text`. Set after `ut_host`. */
  setAddress(bytes: Uint8Array, start: number, text = true): void {
    this.ut_addr = ((bytes[start] << 24) | (bytes[start + 1] << 16) | (bytes[start + 2] << 8) | bytes[start + 3]) >>> 0;
    this.address = text ? addressTextOr(bytes, start, this.ut_host) : null;
  }

  /** `ut_addr` from the 16 address bytes at `start` of `bytes`, and `address`, their text as known already (null: all zero). @internal */
  setAddressText(bytes: Uint8Array, start: number, address: string | null): void {
    this.ut_addr = ((bytes[start] << 24) | (bytes[start + 1] << 16) | (bytes[start + 2] << 8) | bytes[start + 3]) >>> 0;
    this.address = address;
  }

  /** A copy: the same own fields in the same order, with its own `ut_exit`. @internal */
  copy(): this {
    // The same class as this (a subclass's own fields are added by its copy()).
    const c = Object.create(Object.getPrototypeOf(this)) as this;
    c.ut_type = this.ut_type;
    c.ut_type_code = this.ut_type_code;
    c.ut_pid = this.ut_pid;
    c.ut_line = this.ut_line;
    c.ut_id = this.ut_id;
    c.ut_user = this.ut_user;
    c.ut_host = this.ut_host;
    c.ut_user_process = this.ut_user_process;
    c.line = this.line;
    c.ut_time = this.ut_time;
    const stored = (this as { [STORED_TV]?: StoredTime })[STORED_TV];
    if (stored) Object.defineProperty(c, STORED_TV, { value: stored, configurable: true });
    if (this.ut_exit !== undefined) {
      c.ut_exit_code = this.ut_exit_code;
      c.ut_exit = { e_termination: this.ut_exit.e_termination, e_exit: this.ut_exit.e_exit };
    }
    if (this.ut_session !== undefined) c.ut_session = this.ut_session;
    if (this.ut_addr !== undefined) {
      c.ut_addr = this.ut_addr;
      c.address = this.address;
    }
    return c;
  }

  get date(): Date {
    // Whole microseconds first: ut_time * 1000 can fall a hair short of a whole millisecond.
    const ms = Math.floor(Math.round(this.ut_time * 1e6) / 1000);
    // A time no Date can hold (reported as TIME_OUT_OF_RANGE) is the nearest one, never an Invalid Date.
    return new Date(ms > MAX_DATE_MS ? MAX_DATE_MS : ms < -MAX_DATE_MS ? -MAX_DATE_MS : ms);
  }

  /** Every field, `date` included, for `JSON.stringify`. */
  toJSON(): UtmpEntry {
    return { ...this, date: this.date };
  }
}

/** Builds the public entry from a record the addon read through libc. */
export function toEntry(raw: NativeRecord, numbering: TypeNumbering): UtmpEntry {
  const e = new Entry();
  e.setType(raw.type, numbering);
  e.ut_pid = raw.pid;
  e.line = raw.line;
  e.ut_line = devicePath(raw.line);
  e.ut_id = raw.id;
  e.ut_user = raw.user;
  e.ut_host = raw.host ?? '';
  e.setTime(raw.sec, raw.usec);
  if (raw.exitStatus !== undefined && raw.exitTermination !== undefined) e.setExit(raw.exitTermination, raw.exitStatus);
  if (raw.session !== undefined) e.ut_session = raw.session;
  if (raw.addr !== undefined) e.setAddress(raw.addr, 0);
  return e;
}
