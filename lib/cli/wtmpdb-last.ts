/**
 * `utmpx last` on a wtmpdb database: the lines `wtmpdb last` prints for the
 * same rows and options, byte for byte (its columns, its "crash" and "still
 * logged in", its shutdown lines with -x, its "begins" line).
 *
 * wtmpdb last lists rows by Login descending (Logout ascending, open rows
 * first, on a tie) and decides the end of an open row from what it printed
 * before it: once it printed a boot, every older open row "crashed". So the
 * rows are sorted here, then walked once as it walks them.
 */
import type { WtmpdbRow } from '../modern/wtmpdb';
import { safe } from './common';
import { clock, ctimeStamp, lastStamp, p2, utcOffset } from './output';

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
  /** -F: full login and logout times (the begins line keeps its ctime format). */
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
  const d = new Date(sec * 1000);
  switch (fmt) {
    case 'ctime': return ctimeStamp(d);
    case 'short': return lastStamp(d);
    case 'hhmm': return clock(d);
    case 'iso':
      return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}${utcOffset(d)}`;
    default: return '';
  }
}

/** printf `%-W.Ps`: cut to `precision` bytes, escaped for the terminal, padded to `width` bytes. */
function field(s: string, width: number, precision: number | null): string {
  let bytes = Buffer.from(s, 'utf8');
  if (precision !== null && bytes.length > precision) bytes = bytes.subarray(0, precision);
  const text = safe(bytes.toString('utf8'));
  const pad = width - Buffer.byteLength(text, 'utf8');
  return pad > 0 ? text + ' '.repeat(pad) : text;
}

/** calc_time_length: the length column, with wtmpdb's unsigned 64-bit arithmetic. */
function duration(startUs: number, stopUs: number): string {
  const secs = BigInt.asUintN(64, BigInt(stopUs) - BigInt(startUs)) / 1000000n;
  const mins = p2(Number((secs / 60n) % 60n));
  const hours = Number((secs / 3600n) % 24n);
  const days = BigInt.asIntN(64, secs / 86400n);
  if (days) return `(${days}+${p2(hours)}:${mins})`;
  if (hours) return ` (${p2(hours)}:${mins})`;
  return ` (00:${mins})`;
}

/** wtmpdb last's order: Login descending, then Logout ascending (NULL first), then as written. */
export function wtmpdbLastOrder(a: WtmpdbRow, b: WtmpdbRow): number {
  if (a.login !== b.login) return b.login - a.login;
  if (a.logout !== b.logout) {
    if (a.logout === null) return -1;
    if (b.logout === null) return 1;
    return a.logout - b.logout;
  }
  return a.id - b.id;
}

const sec = (us: number) => Math.floor(us / 1e6);

/** The lines `wtmpdb last` prints for `rows` (any order: they are sorted here), the closing line included. */
export function wtmpdbLastLines(rows: WtmpdbRow[], o: WtmpdbLastOptions): string[] {
  rows.sort(wtmpdbLastOrder);
  const format = o.timeFormat ?? (o.fullTimes ? 'full' : 'short');
  const [loginFmt, loginLen, logoutFmt, logoutLen]: [TimeFmt, number, TimeFmt, number] =
    format === 'notime' ? ['notime', 0, 'notime', 0]
      : format === 'full' ? ['ctime', 24, 'ctime', 24]
        : format === 'iso' ? ['iso', 25, 'iso', 25]
          : ['short', 16, 'hhmm', 5];
  const line = (user: string, tty: string, host: string, service: string, login: string, logout: string, length: string) => {
    const shown = !o.wide && user === 'soft-reboot' ? 's-reboot' : user;
    const svc = o.service ? ` ${field(service, 12, 12)}` : '';
    const times = `${field(login, loginLen, loginLen)} - ${field(logout, logoutLen, logoutLen)}`;
    const head = `${field(shown, 8, o.wide ? null : 8)} ${field(tty, 12, 12)}`;
    if (o.noHost) return `${head}${svc} ${times} ${length}`;
    // -a prints the length through %-12.12s and the host last, uncut.
    if (o.hostLast) return `${head}${svc} ${times} ${field(length, 12, 12)} ${field(host, 0, null)}`;
    return `${head} ${field(host, 16, o.wide ? null : 16)}${svc} ${times} ${length}`;
  };
  const out: string[] = [];
  let start = Infinity;
  let afterReboot = false;
  let newerBoot = 0;
  let printed = 0;
  for (const row of rows) {
    if (o.limit && printed >= o.limit) break;
    if (row.login < start) start = row.login;
    const loginSec = sec(row.login);
    if (loginSec < o.since || loginSec > o.until) continue;
    let tty = row.line ?? '?';
    if (o.names.length && !o.names.some((n) => n === row.user || n === tty)) continue;
    const host = row.host ?? '';
    const login = formatTime(loginFmt, loginSec);
    let logout: string;
    let length: string;
    const hhmm = logoutFmt === 'hhmm';
    if (row.logout !== null) {
      logout = formatTime(logoutFmt, sec(row.logout));
      length = duration(row.login, row.logout);
    } else if (afterReboot) {
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
      afterReboot = true;
    }
    out.push(line(row.user, tty, host, row.service ?? '', login, logout, length));
    const logoutUs = row.logout ?? 0;
    if (o.system && row.type === 1) {
      if (newerBoot !== 0 && logoutUs !== 0) {
        out.push(line('shutdown', 'system down', host, row.service ?? '', formatTime(loginFmt, sec(logoutUs)),
          formatTime(logoutFmt, sec(newerBoot)), duration(logoutUs, newerBoot)));
      }
      newerBoot = row.login;
    }
    printed++;
  }
  if (start === Infinity) {
    out.push(`${safe(o.label)} has no entries`);
  } else if (format !== 'notime') {
    // The closing line's format follows --time-format only: -F keeps ctime.
    const beginsFmt: TimeFmt = o.timeFormat === 'short' ? 'short' : o.timeFormat === 'iso' ? 'iso' : 'ctime';
    out.push('', `${safe(o.label)} begins ${formatTime(beginsFmt, sec(start))}`);
  }
  return out;
}
