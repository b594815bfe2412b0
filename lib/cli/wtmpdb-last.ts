/**
 * `utmpx last` on a wtmpdb database: the lines `wtmpdb last` prints for the
 * same rows and options, byte for byte (its columns, its "crash" and "still
 * logged in", its shutdown lines with -x, its "begins" line).
 *
 * wtmpdb last lists rows by Login descending (Logout ascending, open rows
 * first, on a tie) and decides the end of an open row from what it printed
 * before it: once it printed a boot, every older open row "crashed". So the
 * rows come in that order (wtmpdbRows' newestFirst) and are walked once as it
 * walks them, each printed as it comes.
 *
 * Times are what libwtmpdb makes of the cells: unsigned 64-bit microseconds
 * (a negative time is far in the future), 0 for a cell that is not an integer,
 * printed by localtime/strftime whatever the year (294247 for INT64_MAX).
 */
import { type WtmpdbRow, exactLogin, exactLogout } from '../sources/wtmpdb';
import { safe } from './common';
import { localFields } from './local-time';
import { clock, ctimeStamp, lastStamp, p2, utcOffset } from './time-format';

/** `--time-format` of wtmpdb last. */
export type WtmpdbTimeFormat = 'notime' | 'short' | 'full' | 'iso';
export const WTMPDB_TIME_FORMATS: readonly WtmpdbTimeFormat[] = ['notime', 'short', 'full', 'iso'];

export interface WtmpdbLastOptions {
  /** Users or ttys to show (all when empty). */
  names: string[];
  /** At most this many rows (0: all); -x shutdown lines do not count. */
  limit: number;
  /** -w: user and host names uncut. */
  wide: boolean;
  /** -x: a shutdown line after each boot that a shutdown ended. */
  system: boolean;
  /** --time-format, if given. */
  timeFormat?: WtmpdbTimeFormat;
  /** -F given after any --time-format: full login and logout times for the rows (the begins line follows --time-format alone). */
  fullTimes: boolean;
  /** Seconds since the epoch; -Infinity/Infinity when not given. */
  since: number;
  until: number;
  /** What the closing line names: the -f path as given, else "wtmpdb". */
  label: string;
  /** -R: no host column. */
  noHost?: boolean;
  /** -a: the host last. */
  hostLast?: boolean;
  /** -S: the PAM service after the tty. */
  service?: boolean;
}

type TimeFmt = 'ctime' | 'short' | 'hhmm' | 'notime' | 'iso';

function formatTime(fmt: TimeFmt, sec: number): string {
  const ms = sec * 1000;
  switch (fmt) {
    case 'ctime': return ctimeStamp(ms);
    case 'short': return lastStamp(ms);
    case 'hhmm': return clock(ms);
    case 'iso': {
      const f = localFields(ms);
      return `${f.year}-${p2(f.month)}-${p2(f.day)}T${p2(f.hours)}:${p2(f.minutes)}:${p2(f.seconds)}${utcOffset(ms)}`;
    }
    default: return '';
  }
}

/** Text that is one byte a character and needs no escaping: most of what a wtmp.db holds. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** printf `%-W.Ps`: cut to `precision` bytes, escaped for the terminal, padded to `width` bytes. */
function field(s: string, width: number, precision: number | null): string {
  if (PRINTABLE_ASCII.test(s)) return (precision !== null && s.length > precision ? s.slice(0, precision) : s).padEnd(width);
  let bytes = Buffer.from(s, 'utf8');
  if (precision !== null && bytes.length > precision) bytes = bytes.subarray(0, precision);
  const text = safe(bytes.toString('utf8'));
  const pad = width - Buffer.byteLength(text, 'utf8');
  return pad > 0 ? text + ' '.repeat(pad) : text;
}

/** calc_time_length: the length column, with wtmpdb's unsigned 64-bit arithmetic on the exact times. */
function duration(startUs: bigint, stopUs: bigint): string {
  const secs = BigInt.asUintN(64, stopUs - startUs) / 1000000n;
  const mins = p2(Number((secs / 60n) % 60n));
  const hours = Number((secs / 3600n) % 24n);
  const days = BigInt.asIntN(64, secs / 86400n);
  if (days) return `(${days}+${p2(hours)}:${mins})`;
  if (hours) return ` (${p2(hours)}:${mins})`;
  return ` (00:${mins})`;
}

/** Seconds of libwtmpdb's unsigned 64-bit microseconds (exact, from the digits beyond 2^53). */
const sec = (us: number, digits?: string) => (digits === undefined
  ? Math.floor((us < 0 ? us + 18446744073709551616 : us) / 1e6)
  : Number(BigInt.asUintN(64, BigInt(digits)) / 1000000n));

const usSec = (us: bigint) => Number(BigInt.asUintN(64, us) / 1000000n);

type TimeFormats = [TimeFmt, number, TimeFmt, number];

/**
 * The lines `wtmpdb last` prints, row by row: `row()` takes the rows in its
 * order (newest first) and gives their lines, `end()` the closing lines.
 */
export class WtmpdbLast {
  private readonly format: WtmpdbTimeFormat;
  private readonly times: TimeFormats;
  private start = Infinity;
  private afterReboot = false;
  private newerBoot = 0n;
  private printed = 0;

  constructor(private readonly o: WtmpdbLastOptions) {
    this.format = o.fullTimes ? 'full' : o.timeFormat ?? 'short';
    this.times = this.format === 'notime' ? ['notime', 0, 'notime', 0]
      : this.format === 'full' ? ['ctime', 24, 'ctime', 24]
        : this.format === 'iso' ? ['iso', 25, 'iso', 25]
          : ['short', 16, 'hhmm', 5];
  }

  /** Whether -n is reached: no row after this is printed (stop reading). */
  get done(): boolean {
    return this.o.limit !== 0 && this.printed >= this.o.limit;
  }

  private line(user: string, tty: string, host: string, service: string, login: string, logout: string, length: string): string {
    const o = this.o;
    const [, loginLen, , logoutLen] = this.times;
    const shown = !o.wide && user === 'soft-reboot' ? 's-reboot' : user;
    const svc = o.service ? ` ${field(service, 12, 12)}` : '';
    const times = `${field(login, loginLen, loginLen)} - ${field(logout, logoutLen, logoutLen)}`;
    const head = `${field(shown, 8, o.wide ? null : 8)} ${field(tty, 12, 12)}`;
    if (o.noHost) return `${head}${svc} ${times} ${length}`;
    // -a prints the length through %-12.12s and the host last, uncut.
    if (o.hostLast) return `${head}${svc} ${times} ${field(length, 12, 12)} ${field(host, 0, null)}`;
    return `${head} ${field(host, 16, o.wide ? null : 16)}${svc} ${times} ${length}`;
  }

  /** The lines of `row` (none when it is filtered out, or -n was reached). */
  row(row: WtmpdbRow): string[] {
    const o = this.o;
    if (this.done) return [];
    const [loginFmt, , logoutFmt] = this.times;
    const loginSec = sec(row.login, row.exactLogin);
    if (loginSec < this.start) this.start = loginSec;
    if (loginSec < o.since || loginSec > o.until) return [];
    let tty = row.line ?? '?';
    if (o.names.length && !o.names.some((n) => n === row.user || n === tty)) return [];
    const host = row.host ?? '';
    const login = formatTime(loginFmt, loginSec);
    let logout: string;
    let length: string;
    const hhmm = logoutFmt === 'hhmm';
    if (row.logout !== null) {
      logout = formatTime(logoutFmt, sec(row.logout, row.exactLogout));
      length = duration(exactLogin(row), exactLogout(row)!);
    } else if (this.afterReboot) {
      [logout, length] = ['crash', ''];
    } else if (row.type === 3) {
      [logout, length] = hhmm ? ['still', 'logged in'] : ['still logged in', ''];
    } else if (row.type === 1) {
      [logout, length] = hhmm ? ['still', 'running'] : ['still running', ''];
    } else {
      [logout, length] = ['ERROR', `Unknown: ${row.type}`];
    }
    if (row.type === 1) {
      tty = 'system boot';
      this.afterReboot = true;
    }
    const out = [this.line(row.user, tty, host, row.service ?? '', login, logout, length)];
    if (o.system && row.type === 1) {
      const logoutUs = exactLogout(row) ?? 0n;
      if (this.newerBoot !== 0n && logoutUs !== 0n) {
        out.push(this.line('shutdown', 'system down', host, row.service ?? '', formatTime(loginFmt, usSec(logoutUs)),
          formatTime(logoutFmt, usSec(this.newerBoot)), duration(logoutUs, this.newerBoot)));
      }
      this.newerBoot = exactLogin(row);
    }
    this.printed++;
    return out;
  }

  /** The closing lines: "LABEL begins ..." (the earliest login read), or "LABEL has no entries". */
  end(): string[] {
    if (this.start === Infinity) return [`${safe(this.o.label)} has no entries`];
    if (this.o.timeFormat === 'notime') return []; // --time-format notime, even with a later -F
    // The closing line's format follows --time-format only: -F keeps ctime.
    const beginsFmt: TimeFmt = this.o.timeFormat === 'short' ? 'short' : this.o.timeFormat === 'iso' ? 'iso' : 'ctime';
    return ['', `${safe(this.o.label)} begins ${formatTime(beginsFmt, this.start)}`];
  }
}
