/**
 * The entry shape every reader yields: pyutmp's fields, plus what JavaScript
 * users reach for (a Date, the address as text, the line as recorded).
 */
import type { NativeRecord } from './native';
import { type TypeNumbering, type UtmpType, typeName } from './record-types';

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
  /** Portable type name; `UNKNOWN` for a number the platform does not define. */
  ut_type?: UtmpType;
  /** The type number as stored, in the platform's own numbering. */
  ut_type_code?: number;
  /** PID of the login process. */
  ut_pid?: number;
  /** Terminal name suffix or inittab id (up to 4 bytes). */
  ut_id?: string;
  /** Exit status of the process (`ut_exit.e_exit`), as pyutmp reports it. Linux only. */
  ut_exit_code?: number;
  /** Both halves of `ut_exit`. Linux only. */
  ut_exit?: ExitStatus;
  /** Session id (`getsid`). Linux only. */
  ut_session?: number;
  /** First four address bytes as an unsigned 32-bit number, network order (10.0.0.5 is 0x0a000005). Linux only. */
  ut_addr?: number;
  /** The record's time as a Date (millisecond precision). */
  date: Date;
  /** The remote address as text (`10.0.0.5`, `2001:db8::1`), or null when none is recorded. Linux only. */
  address?: string | null;
  /** The line exactly as recorded (`pts/0`, `~`). */
  line: string;
}

const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_./-]*$/;

/** `pts/0` becomes `/dev/pts/0`; pseudo-lines (`~`, `ssh:notty`, `:0`, '') stay as they are. */
export function devicePath(line: string): string {
  return DEVICE_NAME.test(line) ? '/dev/' + line : line;
}

/** IPv4 when only the first word is set (the glibc convention), IPv6 otherwise; null when all zero. */
export function addressText(bytes: Uint8Array): string | null {
  let tail = 0;
  for (let i = 4; i < 16; i++) tail |= bytes[i];
  if (tail === 0) {
    if ((bytes[0] | bytes[1] | bytes[2] | bytes[3]) === 0) return null;
    return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  // Longest run of two or more zero words becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** Builds the public entry from a raw record (from libc or from the decoder). */
export function toEntry(raw: NativeRecord, numbering: TypeNumbering): UtmpEntry {
  const type = typeName(raw.type, numbering);
  const entry: UtmpEntry = {
    ut_type: type,
    ut_type_code: raw.type,
    ut_pid: raw.pid,
    ut_line: devicePath(raw.line),
    ut_id: raw.id,
    ut_user: raw.user,
    ut_host: raw.host ?? '',
    ut_time: raw.sec + raw.usec / 1e6,
    ut_user_process: type === 'USER_PROCESS',
    date: new Date(raw.sec * 1000 + Math.floor(raw.usec / 1000)),
    line: raw.line,
  };
  if (raw.exitStatus !== undefined && raw.exitTermination !== undefined) {
    entry.ut_exit_code = raw.exitStatus;
    entry.ut_exit = { e_termination: raw.exitTermination, e_exit: raw.exitStatus };
  }
  if (raw.session !== undefined) entry.ut_session = raw.session;
  if (raw.addr !== undefined) {
    const a = raw.addr;
    entry.ut_addr = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
    entry.address = addressText(a);
  }
  return entry;
}
