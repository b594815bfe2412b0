/**
 * What `last` and `lastb` share: their options (-n, --since, --until, -w,
 * names), last(1)'s table, and the "wtmp begins ..." line.
 */
import { dns } from '../platform/node-modules';
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile } from '../utmp-file';
import { UsageError, column, safe } from './common';
import { ISO_OPTION, type OptionSpec, type ParsedArgs, parseCommand } from './args';
import { type LineWriter } from './output';
import { clock, ctimeStamp, isoLocal, lastStamp, msOf, p2 } from './time-format';
import { WARNING_HELP, WARNING_OPTIONS } from './warnings';

/** The options of last/lastb, parsed. */
export interface HistoryArgs extends ParsedArgs {
  /** Show at most this many lines. */
  limit: number;
  /** Seconds since the epoch, inclusive bounds on the login time. */
  since: number;
  until: number;
  wide: boolean;
  /** Users (or lines) to show; empty for all. */
  names: string[];
}

export const HISTORY_OPTIONS_HELP = `  -f, --file FILE     read FILE instead of the system's file
  -n, --limit N, -N   show at most N lines (0: all)
  -s, --since TIME    only logins at or after TIME
  -t, --until TIME    only logins at or before TIME
                      TIME: YYYY-MM-DD[ HH:MM[:SS]] (local), ISO 8601, now, today,
                      yesterday, or relative: -5min, -2h, -3days, +1d
  -w, --fullnames     do not cut user and host names
      --json          one JSON array
      --ndjson        one JSON object a line, streamed
      --iso           times as ISO 8601
${WARNING_HELP}`;

const UNITS: Record<string, number> = { s: 1, sec: 1, min: 60, m: 60, h: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400, w: 604800, weeks: 604800 };

/** A --since/--until value as seconds since the epoch (local time for dates without an offset). */
export function parseTime(text: string, now = new Date()): number {
  const t = text.trim();
  const midnight = (days: number) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + days).getTime() / 1000;
  if (t === 'now') return Math.floor(now.getTime() / 1000);
  if (t === 'today') return midnight(0);
  if (t === 'yesterday') return midnight(-1);
  if (t === 'tomorrow') return midnight(1);
  const rel = /^([+-])(\d+)\s*([a-z]+)$/.exec(t);
  if (rel && UNITS[rel[3]] !== undefined) {
    return Math.floor(now.getTime() / 1000) + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNITS[rel[3]];
  }
  const local = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d))?)?$/.exec(t);
  if (local) {
    const [y, mo, d, h = '0', mi = '0', s = '0'] = local.slice(1).map((x) => x ?? undefined) as string[];
    // last(1) parses with strptime (month 1-12, day 1-31, ...), then mktime
    // rolls a day past the month's end over (Feb 30 is Mar 1): the same here.
    if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 60) {
      throw new UsageError(`invalid time value "${text}"`);
    }
    return new Date(+y, +mo - 1, +d, +h, +mi, +s).getTime() / 1000;
  }
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new UsageError(`invalid time value "${text}"`);
  return Math.floor(ms / 1000);
}

/** util-linux's row options, which last and lastb share (lastb is last reading btmp). */
export const ROW_OPTIONS: OptionSpec = {
  'time-format': { type: 'string' },
  fulltimes: { type: 'boolean', short: 'F' },
  nohostname: { type: 'boolean', short: 'R' },
  hostlast: { type: 'boolean', short: 'a' },
  ip: { type: 'boolean', short: 'i' },
  dns: { type: 'boolean', short: 'd' },
  present: { type: 'string', short: 'p' },
};

export const ROW_OPTIONS_HELP = `  -F, --fulltimes     full login and logout times and dates
  -R, --nohostname    no host column
  -a, --hostlast      the host in the last column, whole
  -i, --ip            the recorded IP address instead of the host (not wtmpdb)
  -d, --dns           that address's host name where it has one (not wtmpdb)
  -p, --present TIME  only sessions open at TIME (not wtmpdb)
      --time-format notime|short|full|iso
`;

/** -F, -R, -a and --time-format notime|short|full|iso on a wtmp or btmp file. */
export function rowStyle(command: string, a: HistoryArgs): RowStyle {
  const format = a.values['time-format'] as string | undefined;
  if (format !== undefined && format !== 'notime' && format !== 'short' && format !== 'full' && format !== 'iso') {
    throw new UsageError(`${command}: invalid time format '${format}' for a ${command === 'lastb' ? 'btmp' : 'wtmp'} file (notime, short, full or iso)`);
  }
  // util-linux's last and lastb refuse both, in these words (wtmpdb last takes the later one, see last.ts).
  if (format !== undefined && a.values.fulltimes) throw new UsageError(`${command}: mutually exclusive arguments: --fulltimes --time-format`);
  return {
    iso: a.iso || format === 'iso', wide: a.wide, full: Boolean(a.values.fulltimes) || format === 'full',
    noHost: Boolean(a.values.nohostname), hostLast: Boolean(a.values.hostlast), noTime: format === 'notime' && !a.iso,
  };
}

/** The name of an address (getnameinfo, as last -d asks), or the address itself; asked once per address. */
export async function nameAddress(addr: string, names: Map<string, string>): Promise<void> {
  if (names.has(addr)) return;
  let name = addr;
  try {
    name = (await dns().promises.lookupService(addr, 0)).hostname;
  } catch {
    // no name: the address, as last prints it
  }
  names.set(addr, name);
}

/**
 * `-5` as `-n 5`, unless it is the value of the option before it (`-n -1`,
 * `-s -5`). As in util-linux, each digit option adds to the count so far
 * (`-n 1 -2` is 12: last.c's `maxrecs = 10 * maxrecs + digit`).
 */
function expandCounts(args: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  let count = 0;
  let valueOf: string | null = null;
  for (const a of args) {
    if (valueOf !== null) {
      if (valueOf === 'limit' && /^\d+$/.test(a)) count = Number(a);
      out.push(a);
      valueOf = null;
    } else if (/^-\d+$/.test(a)) {
      for (const digit of a.slice(1)) count = 10 * count + Number(digit);
      out.push('-n', String(count));
    } else {
      const attached = /^(?:-n|--limit=)(\d+)$/.exec(a);
      if (attached) count = Number(attached[1]);
      out.push(a);
      valueOf = valueName(a, { file: { type: 'string', short: 'f' }, ...options });
    }
  }
  return out;
}

/** The name of the option whose value is the next word, when the word `a` is one. */
function valueName(a: string, options: OptionSpec): string | null {
  if (a.startsWith('--')) return !a.includes('=') && options[a.slice(2)]?.type === 'string' ? a.slice(2) : null;
  if (!/^-[^-]$/.test(a)) return null;
  return Object.keys(options).find((name) => options[name].short === a[1] && options[name].type === 'string') ?? null;
}

/** Parses last/lastb's arguments (`-5` is `-n 5`, as in util-linux). */
export function parseHistoryArgs(command: string, args: string[], extra: OptionSpec = {}): HistoryArgs {
  const options: OptionSpec = {
    limit: { type: 'string', short: 'n' },
    since: { type: 'string', short: 's' },
    until: { type: 'string', short: 't' },
    fullnames: { type: 'boolean', short: 'w' },
    ...ISO_OPTION,
    ...WARNING_OPTIONS,
    ...extra,
  };
  const opts = parseCommand(command, expandCounts(args, options), options, true);
  const v = opts.values;
  let limit = Infinity;
  if (v.limit !== undefined) {
    if (!/^\d+$/.test(v.limit as string)) throw new UsageError(`${command}: -n needs a whole number, not ${v.limit}`);
    limit = Number(v.limit) || Infinity; // -n 0 shows everything, as in util-linux
  }
  return {
    ...opts,
    limit,
    since: v.since !== undefined ? parseTime(v.since as string) : -Infinity,
    until: v.until !== undefined ? parseTime(v.until as string) : Infinity,
    wide: Boolean(v.fullnames),
    names: opts.positionals,
  };
}

/** Whether `time` lies within --since/--until (whole seconds, both inclusive). */
export function inWindow(a: HistoryArgs, time: Date | number): boolean {
  const sec = Math.floor(msOf(time) / 1000);
  return sec >= a.since && sec <= a.until;
}

/** Whether the NAME arguments keep a login by `user` on `line` (all when none were given). */
export function named(a: HistoryArgs, user: string, line: string): boolean {
  if (a.names.length === 0) return true;
  return a.names.some((n) => n === user || n === line || (line.startsWith('tty') && n === line.slice(3)));
}

/** The login and logout columns and the duration, as last(1) prints them (times as Dates or milliseconds). */
export interface LastTimes {
  login: Date | number;
  /** The logout time, or the word(s) last prints instead ('crash', 'down', ...). */
  logout: Date | number | 'crash' | 'down' | 'still logged in' | 'still running' | 'gone' | 'time change';
  /** End of the session for its length (crash/down: the time of the reboot). */
  end?: Date | number | null;
}

/**
 * last's length column: `(D+HH:MM)`, ` (HH:MM)`, and for a logout before the
 * login (the clock went back) ` (-H:MM)` (printf's %02d of negative hours)
 * or ` (-00:MM)` under an hour. Its parts, in one shared object (read before
 * the next call): the row writer writes them, length() makes the text.
 */
const span = { secs: 0, days: 0, hours: 0, mins: 0 };
function lengthParts(fromMs: number, toMs: number): typeof span {
  span.secs = Math.floor(toMs / 1000) - Math.floor(fromMs / 1000);
  span.mins = Math.abs(Math.trunc(span.secs / 60) % 60);
  span.hours = Math.trunc(span.secs / 3600) % 24;
  span.days = Math.trunc(span.secs / 86400);
  return span;
}

/** length(fromMs, toMs), written into `w` (no string made). */
function writeLength(w: LineWriter, fromMs: number, toMs: number): void {
  const { secs, days, hours, mins } = lengthParts(fromMs, toMs);
  if (days) {
    w.ascii('(');
    w.int(days);
    w.ascii('+');
    w.two(Math.abs(hours));
  } else if (hours) {
    w.ascii(' (');
    if (hours < 0) w.int(hours);
    else w.two(hours);
  } else {
    w.ascii(secs >= 0 ? ' (00' : ' (-00');
  }
  w.ascii(':');
  w.two(mins);
  w.ascii(')');
}

function length(fromMs: number, toMs: number): string {
  const { secs, days, hours, mins } = lengthParts(fromMs, toMs);
  const mm = p2(mins);
  if (days) return `(${days}+${p2(Math.abs(hours))}:${mm})`;
  if (hours) return ` (${hours < 0 ? String(hours) : p2(hours)}:${mm})`;
  if (secs >= 0) return ` (00:${mm})`;
  return ` (-00:${mm})`;
}

/** How last(1) lays out a row: the common --iso and -w, and last's -F, -R, -a. */
export interface RowStyle {
  iso: boolean;
  wide: boolean;
  /** -F: full login and logout times (ctime's format). */
  full?: boolean;
  /** -R: no host column. */
  noHost?: boolean;
  /** -a: the host in the last column, whole. */
  hostLast?: boolean;
  /** --time-format notime: no login or logout time (util-linux prints them 0 wide), and no "begins" line. */
  noTime?: boolean;
}

/** One row of last(1)'s table (`%-8s %-12s %-16s login logout length`). */
export function lastRow(user: string, line: string, host: string, t: LastTimes, a: RowStyle): string {
  if (a.noTime) return noTimeRow(user, line, host, t, a);
  const iso = a.iso;
  const full = a.full === true && !iso;
  const longWords = iso || full; // the long forms of "gone" and "still ..."
  const loginMs = msOf(t.login);
  let login = iso ? isoLocal(loginMs) : full ? ctimeStamp(loginMs) : lastStamp(loginMs);
  const inLen = iso ? 25 : full ? 24 : 16;
  if (login.length < inLen) login = login.padEnd(inLen);
  const logout = t.logout;
  let out: string;
  let len = '';
  if (typeof logout === 'number' || logout instanceof Date) {
    const ms = msOf(logout);
    out = '- ' + (iso ? isoLocal(ms) : full ? ctimeStamp(ms) : clock(ms));
    len = length(loginMs, ms);
  } else if (logout === 'crash' || logout === 'down') {
    out = logout === 'crash' ? '- crash' : '- down ';
    if (t.end !== undefined && t.end !== null) len = length(loginMs, msOf(t.end));
  } else if (logout === 'time change') {
    out = '';
  } else if (logout === 'gone') {
    [out, len] = longWords ? ['  gone - no logout', ''] : ['   gone', '- no logout'];
  } else {
    const [first, rest] = logout === 'still running' ? ['still', 'running'] : ['still', 'logged in'];
    [out, len] = longWords ? [`  ${first} ${rest}`, ''] : [`  ${first}`, rest];
  }
  const outLen = longWords ? inLen + 2 : 7;
  if (out.length < outLen) out = out.padEnd(outLen);
  return finishRow(user, line, host, login + ' ' + out + ' ', len, a);
}

/** The row's columns around the times: user, line and host, then the length (with -a: cut to 12, then the host). */
function finishRow(user: string, line: string, host: string, times: string, len: string, a: RowStyle): string {
  const hostColumn = a.noHost || a.hostLast ? '' : column(host, 16, a.wide) + ' ';
  const tail = a.hostLast && !a.noHost ? `${len.slice(0, 12).padEnd(12)} ${safe(host)}` : len;
  const row = column(user, 8, a.wide) + ' ' + column(line, 12, a.wide) + ' ' + hostColumn + times + tail;
  const c = row.charCodeAt(row.length - 1);
  return c > 0x20 && c < 0x7f ? row : row.trimEnd(); // last trims the line too
}

/**
 * A row under `--time-format notime`: util-linux prints the login and logout
 * columns 0 wide (`%-0.0s`), so only the length is left, or the word that
 * stands for it ("running", "logged in", "no logout").
 */
function noTimeRow(user: string, line: string, host: string, t: LastTimes, a: RowStyle): string {
  const logout = t.logout;
  let len = '';
  if (typeof logout === 'number' || logout instanceof Date) len = length(msOf(t.login), msOf(logout));
  else if (logout === 'crash' || logout === 'down') len = t.end !== undefined && t.end !== null ? length(msOf(t.login), msOf(t.end)) : '';
  else if (logout === 'gone') len = 'no logout';
  else if (logout === 'still running') len = 'running';
  else if (logout === 'still logged in') len = 'logged in';
  return finishRow(user, line, host, '  ', len, a);
}

/**
 * lastRow(), written into `w` piece by piece in the default layout (no -F,
 * --iso, -a, -R: every row of a plain `last` or `lastb`), with no string made
 * for the row; other layouts go through lastRow(). The same bytes either way.
 */
export function writeLastRow(w: LineWriter, user: string, line: string, host: string, t: LastTimes, a: RowStyle): Promise<void> | undefined {
  if (!writesInPlace(t, a)) return w.line(lastRow(user, line, host, t, a));
  w.column(user, 8, a.wide);
  w.ascii(' ');
  w.column(line, 12, a.wide);
  w.ascii(' ');
  w.column(host, 16, a.wide);
  w.ascii(' ');
  return writeRowTimes(w, t);
}

/** Whether writeLastRow() writes this row piece by piece (else it writes lastRow()). */
export function writesInPlace(t: LastTimes, a: RowStyle): boolean {
  const logout = t.logout;
  // A login a boot or shutdown ended, with its length (a third of a busy server's rows): written here too.
  const ended = (logout === 'crash' || logout === 'down') && typeof t.end === 'number';
  return !(a.iso || a.full || a.hostLast || a.noHost || a.noTime || (typeof logout !== 'number' && !ended));
}

/** The row's columns after the host, when writesInPlace(): login, logout and length; ends the line. */
export function writeRowTimes(w: LineWriter, t: LastTimes): Promise<void> | undefined {
  const logout = t.logout;
  const ended = logout === 'crash' || logout === 'down';
  const loginMs = t.login as number;
  w.lastStamp(loginMs); // 16 characters, as the column
  if (ended) {
    w.ascii(logout === 'crash' ? ' - crash ' : ' - down  ');
    writeLength(w, loginMs, t.end as number);
    return w.endLine();
  }
  w.ascii(' - ');
  w.clock(logout as number);
  w.ascii(' ');
  writeLength(w, loginMs, logout as number); // never empty: nothing to trim
  return w.endLine();
}

/**
 * last's closing line: `\nwtmp begins <time of the file's first record>`
 * (the file's change time when it holds none). macOS's utmpx file opens with
 * a signature record (`utmpx-1.00`, time 0) that its getutxent_wtmp skips:
 * the history begins at the record after it, as macOS's last says.
 */
export function beginsLine(file: string, iso: boolean, known?: Date): string {
  let first: Date;
  const db = new UtmpFile(file);
  try {
    if (known) {
      first = known;
    } else {
      let u = db.next().value;
      if (u?.ut_type === 'SIGNATURE') u = db.next().value;
      first = u?.date ?? fs.statSync(file).ctime;
    }
  } finally {
    db.close();
  }
  return `\n${safe(path.basename(file))} begins ${iso ? isoLocal(first) : ctimeStamp(first)}`;
}
