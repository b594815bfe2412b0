/** `utmpx last`: login sessions from wtmp, newest first, as last(1). */
import { paths } from '../paths';
import { type Session, sessions } from '../sessions';
import { type Command, safe } from './common';
import { HISTORY_OPTIONS_HELP, type LastTimes, beginsLine, lastRow, named, parseHistoryArgs } from './history';
import { Progress, RecordEmitter, fileShape } from './output';

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

Order and memory: the human table and -n show the newest first, which needs
the sessions in memory (with -n only N of them). Without -n, --json and
--ndjson stream the sessions as their ends become known, in constant memory;
each carries 'index', the position of its login record (sort by it,
descending, for last's order).
`,
  async run(args, io) {
    const a = parseHistoryArgs('last', args, { system: { type: 'boolean', short: 'x' } });
    const file = a.file ?? paths().wtmp;
    const out = new RecordEmitter<Session>(io.out, a.format, (s) => lastRow(s.user, s.line, s.host, sessionTimes(s), a));
    const stream = a.format !== 'human' && a.limit === Infinity;
    const newest = new Newest(a.limit);
    const shape = fileShape(file, io.err as NodeJS.WriteStream);
    const progress = new Progress(io.err as NodeJS.WriteStream, safe(file), shape.size);
    const system = Boolean(a.values.system);
    try {
      for (const s of sessions(file, { system, since: asDate(a.since), until: asDate(a.until) })) {
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
    return 0;
  },
};

const asDate = (sec: number) => (Number.isFinite(sec) ? new Date(sec * 1000) : undefined);
