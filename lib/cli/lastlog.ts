/** `utmpx lastlog`: the last login of each user, in the columns of shadow's lastlog(8). */
import * as fs from 'fs';
import * as path from 'path';
import { dateCanHold } from '../model/entry';
import { type LastlogEntry, LastlogFile, checkLastlog2Time } from '../lastlog';
import { missingDatabase } from '../model/errors';
import { Accounts, type Lastlog2Row, lastlog2Row, lastlog2Rows } from '../sources/lastlog2';
import { type Command, type CommandIO, UsageError, column, padBytes, safe } from './common';
import { ISO_OPTION, parseCommand } from './args';
import { LineWriter, RecordEmitter } from './output';
import { isoLocal, lastStamp, p2, utcOffset } from './time-format';
import { WARNING_HELP, WARNING_OPTIONS, WarningReport } from './warnings';

/**
 * lastlog(8)'s header. Its From column is 42 wide (an IPv6 link-local address
 * with its interface), and its "Latest" sits one column right of the times.
 */
export const LASTLOG_HEADER = `Username         Port     From${' '.repeat(39)}Latest`;
const NEVER = '**Never logged in**';

/** strftime `%a %b %e %H:%M:%S %z %Y` in local time, as lastlog(8) prints it. */
export function lastlogStamp(d: Date): string {
  return `${lastStamp(d)}:${p2(d.getSeconds())} ${utcOffset(d)} ${d.getFullYear()}`;
}

/** One row: `%-16s %-8.8s %-42s%s` as lastlog(8); a uid with no account shows as its number. */
export function formatLastlog(name: string, e: LastlogEntry | null, iso = false): string {
  const line = column(e ? e.line : '', 8);
  const host = e ? safe(e.host) : '';
  const when = e ? (iso ? isoLocal(e.date) : lastlogStamp(e.date)) : NEVER;
  return `${safe(name).padEnd(16)} ${line} ${host.padEnd(42)}${when}`;
}

const nameOf = (e: LastlogEntry): string => e.user ?? String(e.uid);

// `-u` as lastlog(8) takes it: a login name, else a uid or a range (MIN-MAX, -MAX, MIN-).
type Selection = { kind: 'one'; name: string; uid: number | null; entry: LastlogEntry | null } | { kind: 'range'; min: number; max: number };

function select(db: LastlogFile, spec: string): Selection | null {
  const byName = db.lookup(spec);
  if (byName.uid !== null) return { kind: 'one', name: spec, ...byName };
  if (/^\d+$/.test(spec)) {
    const uid = Number(spec);
    if (uid > 0xffffffff) return null;
    const { entry } = db.lookup(uid);
    // shadow prints the account's name (`-u 0` is root), also for one who never logged in.
    return { kind: 'one', name: entry?.user ?? new Accounts().name(uid) ?? spec, uid, entry };
  }
  const m = /^(\d*)-(\d*)$/.exec(spec);
  if (m && (m[1] !== '' || m[2] !== '')) {
    return { kind: 'range', min: m[1] === '' ? 0 : Number(m[1]), max: m[2] === '' ? Infinity : Number(m[2]) };
  }
  return null;
}

export const lastlog: Command = {
  summary: 'lastlog [-f FILE] [-u USER] [--json|--ndjson] last login of each user',
  help: `Usage: utmpx lastlog [-f FILE] [-R DIR] [-u USER] [--json | --ndjson] [--iso]
Prints the last login of every account in /etc/passwd, in its order, as
shadow's lastlog(8) does: "${NEVER}" for those without one; a uid
with no account is not printed. --json and --ndjson give the file's entries
instead, in uid order, accounts or not. Huge sparse files (high uids) are read
in milliseconds. From lastlog2, the output is that of lastlog2(8): users by
name, -u by name.

  -f, --file FILE  read FILE instead of the system's lastlog
  -R, --root DIR   DIR/etc/passwd's accounts and DIR/var/log/lastlog (read,
                   not chrooted into)
      --source S   lastlog2, lastlog or auto (default): auto reads a FILE as
                   what its header says; without -f, lastlog2's database
                   (/var/lib/lastlog/lastlog2.db) where it exists, else lastlog
  -s, --service    (lastlog2) also the PAM service
  -u, --user USER  a login name, a uid, or a uid range (MIN-MAX, -MAX, MIN-);
                   one user who never logged in shows "${NEVER}"
      --json       one JSON array of entries
      --ndjson     one JSON entry a line
  -b, --before DAYS  only logins older than DAYS days (and, for -u, never)
  -t, --time DAYS  only logins within the last DAYS days
      --iso        times as ISO 8601 (default: lastlog(8)'s format)
${WARNING_HELP}`,
  async run(args, io) {
    const opts = parseCommand('lastlog', args, {
      user: { type: 'string', short: 'u' },
      source: { type: 'string' },
      root: { type: 'string', short: 'R' },
      service: { type: 'boolean', short: 's' },
      before: { type: 'string', short: 'b' },
      time: { type: 'string', short: 't' },
      ...ISO_OPTION,
      ...WARNING_OPTIONS,
    });
    const recent = daysOption(opts.values.time, 't');
    const older = daysOption(opts.values.before, 'b');
    // shadow's test: the age of the login against DAYS (a login never made has time 0: old).
    const now = Date.now() / 1000;
    const kept = (time: number) => (recent === null || now - time <= recent * 86400) && (older === null || now - time >= older * 86400);
    const source = (opts.values.source as string | undefined) ?? 'auto';
    if (source !== 'auto' && source !== 'lastlog' && source !== 'lastlog2') {
      throw new UsageError(`lastlog: --source must be lastlog2, lastlog or auto, not ${source}`);
    }
    const report = new WarningReport('lastlog', opts.format, opts.values);
    // -R DIR as shadow's lastlog takes it: DIR's accounts and lastlog file (read, not chrooted into).
    const root = opts.values.root as string | undefined;
    if (root === '') throw new UsageError('lastlog: -R needs a directory');
    const file = opts.file ?? (root === undefined ? undefined : path.join(root, 'var/log/lastlog'));
    const db = new LastlogFile(file, { source, onWarning: report.onWarning });
    const spec = opts.values.user as string | undefined;
    if (db.source === 'lastlog2' && (recent !== null || older !== null)) throw new UsageError('lastlog: -b and -t read a lastlog file (this is lastlog2)');
    if (db.source === 'lastlog2' && opts.format === 'human') {
      return lastlog2Table(db.path, spec, Boolean(opts.values.service), io, report).catch((e) => { throw missingDatabase(e, opts.file !== undefined); });
    }
    if (opts.format === 'human') {
      const accounts = new AccountList(root === undefined ? '/etc/passwd' : path.join(root, 'etc/passwd'), root === undefined ? db : null);
      return shadowListing(db, accounts, spec, kept, opts.iso, io, report);
    }
    const selection = spec === undefined ? null : select(db, spec);
    if (spec !== undefined && selection === null) {
      io.err.write(`utmpx lastlog: Unknown user or range: ${safe(spec)}\n`);
      return 1;
    }
    // JSON carries the file's entries (accounts or not), in uid order.
    const emitter = new RecordEmitter<LastlogEntry>(io.out, opts.format, (e) => formatLastlog(nameOf(e), e, opts.iso));
    if (selection?.kind === 'one') {
      if (selection.entry && kept(selection.entry.time)) await emitter.emit(selection.entry);
    } else {
      const inRange = (e: LastlogEntry) =>
        selection?.kind !== 'range' || (e.uid !== null && e.uid >= selection.min && e.uid <= selection.max);
      for await (const e of db) if (inRange(e) && kept(e.time)) await emitter.emit(e);
    }
    await emitter.end();
    return report.finish(io, 0, emitter.writer);
  },
};

/** The accounts of a passwd(5) file in its order, as getpwent gives them; names and uids looked up as getpwnam/getpwuid. */
class AccountList {
  readonly all: Array<{ name: string; uid: number }> = [];
  private readonly table: Accounts;

  /** `native`: also ask the system (NSS) for what the file does not hold; null under -R. */
  constructor(file: string, private readonly native: LastlogFile | null) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // No accounts: nothing to list.
    }
    for (const line of text.split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid !== undefined && /^\d+$/.test(uid) && Number(uid) <= 0xffffffff) this.all.push({ name, uid: Number(uid) });
    }
    this.table = new Accounts(file);
  }

  uid(name: string): number | null {
    return this.table.uid(name) ?? (this.native ? this.native.lookup(name).uid : null);
  }

  name(uid: number): string | null {
    return this.table.name(uid) ?? this.native?.lookup(uid).entry?.user ?? null;
  }
}

/**
 * shadow's lastlog(8) listing: every account in passwd order (-u RANGE: those
 * in the range; -u USER or a single uid: that account only), `**Never logged
 * in**` without a login, -t/-b applied to every row (a login never made is
 * time 0), the header before the first row. A uid with no account is not printed.
 */
async function shadowListing(db: LastlogFile, accounts: AccountList, spec: string | undefined, kept: (time: number) => boolean,
  iso: boolean, io: CommandIO, report: WarningReport): Promise<number> {
  let rows = accounts.all;
  if (spec !== undefined) {
    const byName = accounts.uid(spec);
    const range = byName !== null ? { min: byName, max: byName } : uidRange(spec);
    if (range === null) {
      io.err.write(`utmpx lastlog: Unknown user or range: ${safe(spec)}\n`);
      return 1;
    }
    if (range.min === range.max) {
      const name = accounts.name(range.min);
      rows = name === null ? [] : [{ name, uid: range.min }];
    } else {
      rows = rows.filter((a) => a.uid >= range.min && a.uid <= range.max);
    }
  }
  const writer = new LineWriter(io.out);
  let header = true;
  for (const account of rows) {
    const entry = db.get(account.uid);
    if (!kept(entry ? entry.time : 0)) continue;
    if (header) await writer.line(LASTLOG_HEADER);
    header = false;
    await writer.line(formatLastlog(account.name, entry, iso));
  }
  await writer.flush();
  return report.finish(io, 0, writer);
}

/** A uid or a range as shadow's getrange takes them (N, MIN-MAX, -MAX, MIN-), or null. */
function uidRange(spec: string): { min: number; max: number } | null {
  const m = /^(\d*)(-?)(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[3] === '') || (m[2] === '' && m[3] !== '')) return null;
  const min = m[1] === '' ? 0 : Number(m[1]);
  const max = m[2] === '' ? min : m[3] === '' ? Infinity : Number(m[3]);
  return min > 0xffffffff ? null : { min, max };
}

/** -b/-t DAYS: a whole number of days, or null when not given. */
function daysOption(value: string | boolean | undefined, letter: string): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`lastlog: -${letter} needs a number of days, not ${String(value)}`);
  return Number(value);
}

/** 400 Gregorian years in seconds: after them the calendar, weekdays included, repeats. */
const GREGORIAN_CYCLE_S = 146097 * 86400;

/**
 * lastlog2(8)'s date column: strftime `%a %b %e %H:%M:%S %z %Y`, or its words
 * for time 0. A time beyond a Date is the same day some 400-year cycles
 * nearer, with its year put back; "(unknown)" where glibc's localtime fails
 * (a year that does not fit tm_year's int), as lastlog2 prints it
 * (test/fixtures/sqlite/hostile/).
 */
export function lastlog2Date(row: Pick<Lastlog2Row, 'time' | 'exactTime'>): string {
  const time = row.time;
  if (time === 0) return NEVER;
  if (dateCanHold(time)) return lastlogStamp(new Date(time * 1000));
  const cycles = Math.trunc(time / GREGORIAN_CYCLE_S);
  const exact = BigInt(row.exactTime ?? Math.trunc(time));
  const near = new Date(Number(exact - BigInt(cycles) * BigInt(GREGORIAN_CYCLE_S)) * 1000);
  const year = near.getFullYear() + 400 * cycles;
  if (year - 1900 > 2 ** 31 - 1 || year - 1900 < -(2 ** 31)) return '(unknown)';
  // strftime's %Y is tm_year + 1900 in an int: past 2^31 - 1 it wraps, as lastlog2 prints it.
  return lastlogStamp(near).replace(/-?\d+$/, String(year | 0));
}

/** printf `%-W.Ps` on bytes: cut to `precision` bytes, escaped, padded to `width`. */
function cField(s: string, width: number, precision?: number): string {
  let bytes = Buffer.from(s, 'utf8');
  if (precision !== undefined && bytes.length > precision) bytes = bytes.subarray(0, precision);
  return padBytes(safe(bytes.toString('utf8')), width);
}

/**
 * What `lastlog2` prints (and `-s`, `-u USER`): a header before the first
 * row only, then one row per user by name; "Never logged in" for time 0.
 */
async function lastlog2Table(path: string, user: string | undefined, service: boolean, io: CommandIO, report: WarningReport): Promise<number> {
  const writer = new LineWriter(io.out);
  let header = false;
  const print = async (row: Lastlog2Row) => {
    checkLastlog2Time(row, path, report.onWarning);
    const date = lastlog2Date(row);
    if (!header) {
      header = true;
      // lastlog2's header puts Service over its column, by the first row's date.
      const gap = ' '.repeat(Math.max(1, service ? Math.abs(date.length - 5) : 0));
      await writer.line(`Username         Port     From${' '.repeat(38)} Latest${gap}${service ? 'Service' : ''}`);
    }
    let line = `${cField(row.user, 16)} ${cField(row.line ?? '', 8, 8)} ${cField(row.host ?? '', 42)} ${date}`;
    if (service) line += ' '.repeat(Math.max(Math.abs(31 - date.length), row.service !== null ? 1 : 0)) + safe(row.service ?? '');
    await writer.line(line);
  };
  if (user !== undefined) {
    // lastlog2 -u asks the account database first, then reads the user's row.
    if (new Accounts().uid(user) === null) {
      io.err.write(`utmpx lastlog: User '${safe(user)}' does not exist.\n`);
      return 1;
    }
    const row = lastlog2Row(path, user);
    await print(row ?? { user, time: 0, line: null, host: null, service: null });
  } else {
    for (const row of lastlog2Rows(path)) await print(row);
  }
  await writer.flush();
  return report.finish(io, 0, writer);
}
