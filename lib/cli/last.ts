/** `utmpx last`: login sessions from wtmp, newest first, as last(1). */
import { wtmpdbRows } from '../modern/wtmpdb';
import { paths } from '../paths';
import { type Session, historySource, sessions } from '../sessions';
import { type Command, UsageError, safe } from './common';
import { HISTORY_OPTIONS_HELP, type HistoryArgs, type LastTimes, beginsLine, lastRow, named, parseHistoryArgs } from './history';
import { type Format, LineWriter, Progress, RecordEmitter, fileShape } from './output';
import { WarningReport } from './warnings';
import { WTMPDB_TIME_FORMATS, type WtmpdbTimeFormat, wtmpdbLastLines } from './wtmpdb-last';

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

  /** `byLogin`: newest by login time (wtmpdb's order) instead of by record position. */
  constructor(private readonly limit: number, private readonly byLogin = false) {}

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
    this.kept.sort(this.byLogin ? (x, y) => y.login.getTime() - x.login.getTime() || x.index - y.index : (x, y) => y.index - x.index);
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
From wtmpdb, the output is that of 'wtmpdb last' (also -F, -R, -a, -S,
--time-format notime|short|full|iso); --json and --ndjson stream sessions in
row order (with -n, the newest N).

Order and memory: the human table and -n show the newest first, which needs
the sessions in memory (with -n only N of them). Without -n, --json and
--ndjson stream the sessions as their ends become known, in constant memory;
each carries 'index', the position of its login record (sort by it,
descending, for last's order).
`,
  async run(args, io) {
    const a = parseHistoryArgs('last', args, {
      system: { type: 'boolean', short: 'x' },
      source: { type: 'string' },
      'time-format': { type: 'string' },
      fulltimes: { type: 'boolean', short: 'F' },
      nohostname: { type: 'boolean', short: 'R' },
      hostlast: { type: 'boolean', short: 'a' },
      service: { type: 'boolean', short: 'S' },
    });
    const source = (a.values.source as string | undefined) ?? 'auto';
    if (source !== 'auto' && source !== 'wtmp' && source !== 'wtmpdb') throw new UsageError(`last: --source must be wtmpdb, wtmp or auto, not ${source}`);
    const chosen = historySource(a.file, { source });
    if (chosen.source === 'wtmpdb') return lastFromWtmpdb(a, chosen.path, io.out);
    for (const o of ['time-format', 'fulltimes', 'nohostname', 'hostlast', 'service']) {
      if (a.values[o] !== undefined) throw new UsageError(`last: --${o} is for wtmpdb databases (this is a wtmp file)`);
    }
    const file = chosen.path;
    const out = new RecordEmitter<Session>(io.out, a.format, (s) => lastRow(s.user, s.line, s.host, sessionTimes(s), a));
    const stream = a.format !== 'human' && a.limit === Infinity;
    const newest = new Newest(a.limit);
    const shape = fileShape(file, io.err as NodeJS.WriteStream);
    const progress = new Progress(io.err as NodeJS.WriteStream, safe(file), shape.size);
    const system = Boolean(a.values.system);
    const report = new WarningReport('last', a.format, a.values);
    try {
      for (const s of sessions(file, { system, since: asDate(a.since), until: asDate(a.until), source: 'wtmp', onWarning: report.onWarning })) {
        progress.update(s.index * shape.recordSize);
        if (!named(a, s.user, s.line)) continue;
        if (stream) await out.emit(s);
        else newest.add(s);
      }
    } finally {
      progress.done();
    }
    for (const s of newest.list()) await out.emit(s);
    if (a.format === 'human') await out.writer.line(beginsLine(file, a.iso));
    await out.end();
    return report.finish(io, 0, out.writer);
  },
};

/** `last` on a wtmpdb database: wtmpdb last's lines, or the sessions as JSON. */
async function lastFromWtmpdb(a: HistoryArgs, file: string, to: NodeJS.WritableStream): Promise<number> {
  const timeFormat = a.values['time-format'] as string | undefined;
  if (timeFormat !== undefined && !WTMPDB_TIME_FORMATS.includes(timeFormat as WtmpdbTimeFormat)) {
    throw new UsageError(`last: invalid time format '${timeFormat}' (notime, short, full or iso)`);
  }
  if (a.values.nohostname && a.values.hostlast) throw new UsageError('last: the options -a and -R cannot be used together');
  const system = Boolean(a.values.system);
  const since = asDate(a.since);
  const until = asDate(a.until);
  if (a.format !== 'human') return jsonFromWtmpdb(a, file, a.format, to);
  const lines = wtmpdbLastLines([...wtmpdbRows(file)], {
    names: a.names, limit: a.limit === Infinity ? 0 : a.limit, wide: a.wide, system,
    timeFormat: a.iso ? 'iso' : timeFormat as WtmpdbTimeFormat | undefined, fullTimes: Boolean(a.values.fulltimes),
    since: since ? a.since : -Infinity, until: until ? a.until : Infinity, label: a.file ?? 'wtmpdb',
    noHost: Boolean(a.values.nohostname), hostLast: Boolean(a.values.hostlast), service: Boolean(a.values.service),
  });
  const writer = new LineWriter(to);
  for (const l of lines) await writer.line(l);
  await writer.flush();
  return 0;
}

/** Sessions as JSON: streamed in row order, or with -n the newest N (by login, as wtmpdb last lists them). */
async function jsonFromWtmpdb(a: HistoryArgs, file: string, format: Format, to: NodeJS.WritableStream): Promise<number> {
  const out = new RecordEmitter<Session>(to, format, () => '');
  const newest = new Newest(a.limit, true);
  for (const s of sessions(file, { system: Boolean(a.values.system), since: asDate(a.since), until: asDate(a.until), source: 'wtmpdb' })) {
    if (!named(a, s.user, s.kind === 'login' ? s.line : '~')) continue;
    if (a.limit === Infinity) await out.emit(s);
    else newest.add(s);
  }
  for (const s of newest.list()) await out.emit(s);
  await out.end();
  return 0;
}

const asDate = (sec: number) => (Number.isFinite(sec) ? new Date(sec * 1000) : undefined);
