/** `utmpx last`: login sessions from wtmp, newest first, as last(1). */
import * as fs from 'fs';
import { wtmpdbRows } from '../sources/wtmpdb';
import { paths } from '../platform/platform';
import { BackwardSessionReader, sessionsInto } from '../pairing/backward';
import { type Session, type SessionsOptions, historySource, sessions, sessionsAsync } from '../sessions';
import { UtmpFile } from '../utmp-file';
import { cliInput } from './inputs';
import { type Command, type CommandIO, UsageError, safe } from './common';
import {
  HISTORY_OPTIONS_HELP, type HistoryArgs, type LastTimes, ROW_OPTIONS, ROW_OPTIONS_HELP, type RowStyle, beginsLine, lastRow, nameAddress, named,
  parseHistoryArgs, parseTime, rowStyle, writeRowTimes, writesInPlace,
} from './history';
import { type Format } from './args';
import { LineWriter, RecordEmitter } from './output';
import { Progress } from './progress';
import { entryMs } from './time-format';
import { WarningReport } from './warnings';
import { WTMPDB_TIME_FORMATS, WtmpdbLast, type WtmpdbTimeFormat } from './wtmpdb-last';

/** The logout and duration columns last(1) prints for a session. */
export function sessionTimes(s: Session): LastTimes {
  const login = s.login;
  switch (s.end) {
    case 'logout': return { login, logout: s.logout! };
    case 'crash': case 'down':
      // A reboot ended by a shutdown shows the shutdown's time, a login the word.
      return s.kind === 'login' ? { login, logout: s.end, end: s.logout } : { login, logout: s.logout! };
    // A shutdown no boot followed: last shows its end as time 0.
    case 'still running': return s.kind === 'shutdown' ? { login, logout: new Date(0) } : { login, logout: 'still running' };
    default: return { login, logout: s.end };
  }
}

/** Keeps the `limit` sessions with the highest index (the newest records); `list()` gives them newest first. */
class Newest {
  private readonly kept: Session[] = [];

  constructor(private readonly limit: number) {}

  add(s: Session): void {
    const kept = this.kept;
    kept.push(s);
    // Trim only now and then, so keeping N costs O(log N) a session.
    if (kept.length >= 2 * this.limit + 1024) this.trim();
  }

  list(): Session[] {
    this.trim();
    return this.kept;
  }

  private trim(): void {
    this.kept.sort((x, y) => y.index - x.index);
    if (this.kept.length > this.limit) this.kept.length = this.limit;
  }
}

export const last: Command = {
  summary: 'last [-f FILE] [-n N] [-x] [NAME...]       login history (wtmp), newest first',
  help: `Usage: utmpx last [options] [NAME...]
Lists the login sessions in wtmp (default ${paths().wtmp}) paired as last(1)
pairs them, newest first, with reboots. NAMEs keep only those users (or
terminal lines; 'reboot' for the reboots).

${HISTORY_OPTIONS_HELP}  -x, --system        also shutdowns, run-level changes and clock changes
      --source SOURCE wtmpdb, wtmp or auto (default): auto reads a FILE as
                      what its header says; without -f, wtmpdb's database
                      (/var/lib/wtmpdb/wtmp.db) where it exists, else wtmp
${ROW_OPTIONS_HELP}From wtmpdb, the output is that of 'wtmpdb last' (also -S), in its order
(login time, newest first), each row written as it is read; --json and
--ndjson stream the sessions in that order; -n stops the reading.

Order and memory: newest first, as last(1). A file is read backwards and each
session printed as soon as its login is reached, in constant memory (-n stops
the reading). A stream or a compressed file is read forwards and the sessions
kept to be printed newest first (with -n only N of them); without -n, --json
and --ndjson stream them as their ends become known. Each JSON session
carries 'index', the position of its login record.
`,
  async run(args, io) {
    const a = parseHistoryArgs('last', args, {
      system: { type: 'boolean', short: 'x' },
      source: { type: 'string' },
      ...ROW_OPTIONS,
      service: { type: 'boolean', short: 'S' },
      // Several -f, as util-linux last takes them: each file in turn.
      file: { type: 'string', short: 'f', multiple: true },
    });
    const files = (a.values.file as unknown as string[] | undefined) ?? [];
    if (files.includes('')) throw new UsageError('last: -f needs a file name');
    a.file = files.length === 1 ? files[0] : undefined;
    const source = (a.values.source as string | undefined) ?? 'auto';
    if (source !== 'auto' && source !== 'wtmp' && source !== 'wtmpdb') throw new UsageError(`last: --source must be wtmpdb, wtmp or auto, not ${source}`);
    const report = new WarningReport('last', a.format, a.values);
    if (files.length > 1) {
      if (source === 'wtmpdb') throw new UsageError('last: several -f files are wtmp files (--source wtmpdb reads one database)');
      let writer: LineWriter | undefined;
      for (const file of files) writer = await lastOfWtmp(a, file, io, report);
      return report.finish(io, 0, writer);
    }
    const input = cliInput(a.file);
    const chosen = input.async ? { source: 'wtmp', path: input.path! } : historySource(a.file, { source });
    if (chosen.source === 'wtmpdb') {
      for (const o of ['ip', 'dns', 'present']) {
        if (a.values[o] !== undefined) throw new UsageError(`last: --${o} is for wtmp files (this is a wtmpdb database)`);
      }
      return lastFromWtmpdb(a, chosen.path, io, report);
    }
    return report.finish(io, 0, await lastOfWtmp(a, chosen.path, io, report));
  },
};

/**
 * last's table for one wtmp file, and its "begins" line. A regular file is
 * read backwards, paired as last pairs (sessions' newestFirst): each row is
 * printed as its login is reached, in constant memory, and -n stops the
 * reading. A stream (`-`, `<(...)`) or a compressed file cannot be read
 * backwards: it is read forwards, asynchronously, and the newest kept (all of
 * them without -n); for a stream, whose first record cannot be read again,
 * the "begins" line gives the earliest login seen.
 */
async function lastOfWtmp(a: HistoryArgs, given: string, io: CommandIO, report: WarningReport): Promise<LineWriter> {
  if (a.values.service !== undefined) throw new UsageError('last: --service is for wtmpdb databases (this is a wtmp file)');
  const input = cliInput(given);
  const file = input.path!;
  const style = rowStyle('last', a);
  const present = a.values.present !== undefined ? parseTime(a.values.present as string) : null;
  // -i: the recorded address in the host column (0.0.0.0 where none is), as util-linux last;
  // -d: that address's name (getnameinfo), or the address where it has none.
  const names = new Map<string, string>();
  const hostOf = (s: Session) => (a.values.dns ? names.get(s.address ?? '0.0.0.0')! : a.values.ip ? s.address ?? '0.0.0.0' : s.host);
  const out = new RecordEmitter<Session>(io.out, a.format, (s) => lastRow(s.user, s.line, hostOf(s), sessionTimes(s), style));
  const options = {
    system: Boolean(a.values.system), since: asDate(a.since), until: asDate(a.until), source: 'wtmp' as const,
    stream: input.stream, onWarning: report.onWarning,
  };
  const wanted = (s: Session) => named(a, s.user, s.line) && (present === null || presentAt(s, present));
  let earliest: Date | undefined;
  if (!input.async && a.format === 'human' && !a.values.dns) {
    await printNewestFirst(a, file, options, present, style, io, out.writer);
  } else if (!input.async) {
    const found: Session[] = [];
    const reader = new BackwardSessionReader([file], options, sessionsInto(found, options));
    let progress: Progress | null = null;
    let shown = 0;
    try {
      while (shown < a.limit && reader.step()) {
        progress ??= new Progress(io.err as NodeJS.WriteStream, safe(file), reader.progress.size);
        if (progress.enabled) progress.update(reader.progress.bytesRead);
        for (const s of found.splice(0)) {
          if (!wanted(s) || shown >= a.limit) continue;
          if (a.values.dns) await nameAddress(s.address ?? '0.0.0.0', names);
          const wait = out.emit(s);
          if (wait) await wait;
          shown++;
        }
      }
    } finally {
      reader.close();
      progress?.done();
    }
  } else {
    const stream = a.format !== 'human' && a.limit === Infinity && !a.values.dns;
    const newest = new Newest(a.limit);
    for await (const s of sessionsAsync(file, options)) {
      if (input.stream && (!earliest || s.login < earliest)) earliest = s.login;
      if (!wanted(s)) continue;
      if (stream) await out.emit(s);
      else newest.add(s);
    }
    if (a.values.dns) for (const s of newest.list()) await nameAddress(s.address ?? '0.0.0.0', names);
    for (const s of newest.list()) await out.emit(s);
  }
  // --time-format notime prints no "begins" line, as util-linux's last.
  if (a.format === 'human' && !style.noTime) {
    const first = input.stream ? earliest ?? new Date() : input.async ? (await firstEntry(file))?.date ?? fs.statSync(file).ctime : undefined;
    await out.writer.line(beginsLine(input.stream ? given : file, style.iso, first));
  }
  await out.end();
  return out.writer;
}

/**
 * last's rows for a file, newest first, each printed as the backward pairing
 * finds it: the same rows as lastRow(sessionTimes(session)) of sessions({
 * newestFirst }), without a Session or a Date a row, and the user and host
 * written from the record's bytes (strings made only where they need escaping).
 */
async function printNewestFirst(
  a: HistoryArgs, file: string, options: SessionsOptions, present: number | null, style: RowStyle, io: CommandIO, writer: LineWriter,
): Promise<void> {
  let progress: Progress | null = null;
  const ip = Boolean(a.values.ip);
  const anyName = a.names.length > 0;
  const times: LastTimes = { login: 0, logout: 0, end: null }; // one for every row: lastRow only reads it
  let shown = 0;
  let wait: Promise<void> | undefined;
  const wide = style.wide;
  const reader = new BackwardSessionReader([file], options, (e, kind, line, end, by) => {
    if (shown >= a.limit || (anyName && !named(a, reader.user(), line))) return;
    const loginMs = entryMs(e.ut_time);
    const byMs = by === null ? 0 : entryMs(by.ut_time);
    if (present !== null && (Math.floor(loginMs / 1000) > present || (by !== null && Math.floor(byMs / 1000) < present))) return;
    times.login = loginMs;
    times.end = null;
    switch (end) {
      case 'logout': times.logout = byMs; break;
      // A reboot ended by a shutdown shows the shutdown's time, a login the word.
      case 'crash': case 'down':
        if (kind === 'login') {
          times.logout = end;
          times.end = byMs;
        } else {
          times.logout = byMs;
        }
        break;
      // A shutdown no boot followed: last shows its end as time 0.
      case 'still running': times.logout = kind === 'shutdown' ? 0 : end; break;
      default: times.logout = end;
    }
    shown++;
    const host = ip ? e.address ?? '0.0.0.0' : null;
    if (!writesInPlace(times, style)) {
      wait = writer.line(lastRow(reader.user(), line, host ?? reader.host(), times, style)) ?? wait;
      return;
    }
    const buf = reader.recordBuffer;
    const at = reader.recordOffset;
    const { user: u, host: h } = reader.recordLayout;
    if (!writer.columnBytes(buf, at + u.offset, u.size, 8, wide)) writer.column(reader.user(), 8, wide);
    writer.ascii(' ');
    writer.column(line, 12, wide);
    writer.ascii(' ');
    if (host !== null) writer.column(host, 16, wide);
    else if (!writer.columnBytes(buf, at + h.offset, h.size, 16, wide)) writer.column(reader.host(), 16, wide);
    writer.ascii(' ');
    wait = writeRowTimes(writer, times) ?? wait;
  });
  reader.userHostFromBytes();
  if (!ip) reader.skipAddressText(); // the host column: the address only for -i
  try {
    while (shown < a.limit && reader.step()) {
      progress ??= new Progress(io.err as NodeJS.WriteStream, safe(file), reader.progress.size);
      if (progress.enabled) progress.update(reader.progress.bytesRead);
      if (wait) {
        await wait;
        wait = undefined;
      }
    }
  } finally {
    reader.close();
    progress?.done();
  }
}

// The first record of a compressed file (read again: it is a file).
async function firstEntry(file: string) {
  const db = new UtmpFile(file);
  try {
    for await (const e of db) return e;
  } finally {
    db.close();
  }
  return undefined;
}

/**
 * `last` on a wtmpdb database: wtmpdb last's lines, or the sessions as JSON,
 * newest first, each written as it is read (-n stops the reading).
 */
async function lastFromWtmpdb(a: HistoryArgs, file: string, io: CommandIO, report: WarningReport): Promise<number> {
  const timeFormat = a.values['time-format'] as string | undefined;
  if (timeFormat !== undefined && !WTMPDB_TIME_FORMATS.includes(timeFormat as WtmpdbTimeFormat)) {
    throw new UsageError(`last: invalid time format '${timeFormat}' (notime, short, full or iso)`);
  }
  if (a.values.nohostname && a.values.hostlast) throw new UsageError('last: the options -a and -R cannot be used together');
  const system = Boolean(a.values.system);
  const since = asDate(a.since);
  const until = asDate(a.until);
  if (a.format !== 'human') return jsonFromWtmpdb(a, file, a.format, io, report);
  const printer = new WtmpdbLast({
    names: a.names, limit: a.limit === Infinity ? 0 : a.limit, wide: a.wide, system,
    timeFormat: a.iso ? 'iso' : timeFormat as WtmpdbTimeFormat | undefined,
    // wtmpdb last takes -F and --time-format together: the later one sets the rows' times.
    fullTimes: Boolean(a.values.fulltimes) && !a.iso && a.order.lastIndexOf('fulltimes') > a.order.lastIndexOf('time-format'),
    since: since ? a.since : -Infinity, until: until ? a.until : Infinity, label: a.file ?? 'wtmpdb',
    noHost: Boolean(a.values.nohostname), hostLast: Boolean(a.values.hostlast), service: Boolean(a.values.service),
  });
  const writer = new LineWriter(io.out);
  for (const row of wtmpdbRows(file, { newestFirst: true, onWarning: report.onWarning })) {
    for (const l of printer.row(row)) {
      const wait = writer.line(l);
      if (wait) await wait;
    }
    if (printer.done) break;
  }
  for (const l of printer.end()) await writer.line(l);
  await writer.flush();
  return report.finish(io, 0, writer);
}

/** Sessions as JSON, newest first as wtmpdb last lists them, streamed (with -n, the newest N, and the reading stops). */
async function jsonFromWtmpdb(a: HistoryArgs, file: string, format: Format, io: CommandIO, report: WarningReport): Promise<number> {
  const out = new RecordEmitter<Session>(io.out, format, () => '');
  let shown = 0;
  const options = {
    system: Boolean(a.values.system), since: asDate(a.since), until: asDate(a.until), source: 'wtmpdb' as const,
    newestFirst: true, onWarning: report.onWarning,
  };
  for (const s of sessions(file, options)) {
    if (!named(a, s.user, s.kind === 'login' ? s.line : '~')) continue;
    const wait = out.emit(s);
    if (wait) await wait;
    if (++shown >= a.limit) break;
  }
  await out.end();
  return report.finish(io, 0, out.writer);
}

/** -p TIME: the session was open at TIME (logged in by then, not yet out), as util-linux last tests it. */
function presentAt(s: Session, sec: number): boolean {
  if (Math.floor(s.login.getTime() / 1000) > sec) return false;
  return s.logout === null || Math.floor(s.logout.getTime() / 1000) >= sec;
}

const asDate = (sec: number) => (Number.isFinite(sec) ? new Date(sec * 1000) : undefined);
