/**
 * systemd-logind's sessions as a watch source, read through sd-login
 * (lib/sources/logind.ts). logind writes each session to a file in
 * /run/systemd/sessions and replaces it by a rename, removing it when the
 * session ends, so a watch on that directory wakes the source. The position
 * is the sessions seen (id, start time, and who they were): an id that
 * appears is a login, one that vanishes a logout (with the user, line and
 * host it had), an id reused with another start time both.
 *
 * logind keeps no history: a session that began and ended while nobody
 * watched is not seen, and a logout's time is when it was noticed.
 */
import * as fs from 'fs';
import { isIP } from 'net';
import { LOGIND_SESSIONS_DIR } from '../platform/platform';
import { dateCanHold } from '../model/entry';
import { type LogindSession, logindSessionsAsync, logindSessions, startDate } from '../sources/logind';
import { timeOutOfRange } from '../model/warnings';
import type { SourceEvent, WatchEventType, WatchLogin } from './events';
import { nameLogout } from './pairing';
import { problem } from './file-feed';
import type { SourcePosition } from './position';
import type { SourceSink, StartPoint, WakeReason, WatchFeed } from './feed';

/** What the position keeps of a session: enough to name it when it ends. */
export type SeenSession = {
  id: string;
  /** Start, microseconds since the epoch (0 unknown). */
  start: number;
  user: string;
  line: string;
  host: string;
  pid: number;
  service: string | null;
};

export type LogindPosition = { kind: 'logind'; sessions: SeenSession[] };

function isLogindPosition(p: SourcePosition | undefined): p is LogindPosition {
  return !!p && p.kind === 'logind' && Array.isArray(p.sessions) &&
    (p.sessions as SeenSession[]).every((s) => s && typeof s.id === 'string' && typeof s.start === 'number');
}

/** Sessions of people: not the user's service manager (`manager`, `manager-early`), as who leaves it out. */
const isPersonal = (s: LogindSession) => !(s.class ?? '').startsWith('manager');

function seen(s: LogindSession): SeenSession {
  return {
    id: s.id, start: s.startTimeUsec ?? 0, user: s.user, line: s.line ?? s.guessedPty ?? s.seat ?? '',
    host: s.remoteHost ?? s.display ?? '', pid: s.leader ?? 0, service: s.service,
  };
}

function event(type: WatchEventType, s: SeenSession, time: Date): SourceEvent {
  const e: SourceEvent = {
    type, time, user: s.user, line: s.line, host: s.host, address: isIP(s.host) ? s.host : null, source: 'logind', sessionId: s.id,
  };
  if (s.pid) e.pid = s.pid;
  if (s.service !== null) e.service = s.service;
  return e;
}

/** The login a session's logout ends: the session as it began. */
function loginOf(s: SeenSession): WatchLogin {
  const login: WatchLogin = { time: s.start ? startDate(s.start) : new Date(0), user: s.user, line: s.line, host: s.host, address: isIP(s.host) ? s.host : null, sessionId: s.id };
  if (s.pid) login.pid = s.pid;
  return login;
}

export class LogindFeed implements WatchFeed {
  readonly source = 'logind' as const;
  readonly key = 'logind';
  /** The directory is watched by `subscribe` (a change inside it does not show on its parent). */
  readonly paths: readonly string[] = [];
  private sessions = new Map<string, SeenSession>();
  private minTime: number | null = null;
  private warned: string | null = null;

  constructor(private readonly dir: string = LOGIND_SESSIONS_DIR) {}

  subscribe(wake: () => void): () => void {
    let watcher: fs.FSWatcher | null = null;
    try {
      watcher = fs.watch(this.dir, { persistent: true }, () => wake());
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
        wake();
      });
    } catch {
      // no such directory: the safety poll reads
    }
    return () => watcher?.close();
  }

  start(from: StartPoint, sink: SourceSink): void {
    if (from.kind === 'since') {
      this.minTime = from.time; // the sessions that began since then are logins on the first read
      return;
    }
    const saved = from.kind === 'position' ? from.saved : undefined;
    if (isLogindPosition(saved)) {
      for (const s of saved.sessions) this.sessions.set(s.id, s);
      return;
    }
    try {
      for (const s of logindSessions()) if (isPersonal(s)) this.sessions.set(s.id, seen(s));
    } catch (err) {
      this.report(sink, err);
    }
  }

  position(): LogindPosition {
    return { kind: 'logind', sessions: [...this.sessions.values()] };
  }

  async readNew(sink: SourceSink, _reason: WakeReason): Promise<void> {
    let now: SeenSession[];
    try {
      now = (await logindSessionsAsync()).filter(isPersonal).map(seen);
      this.warned = null;
    } catch (err) {
      this.report(sink, err);
      return;
    }
    const noticed = new Date();
    const byId = new Map(now.map((s) => [s.id, s]));
    for (const [id, old] of [...this.sessions]) {
      const cur = byId.get(id);
      if (cur && (cur.start === old.start || cur.start === 0 || old.start === 0)) continue;
      this.sessions.delete(id);
      sink.event(nameLogout(event('logout', old, noticed), loginOf(old), 'logout'), this.position());
    }
    const fresh = now.filter((s) => !this.sessions.has(s.id)).sort((a, b) => a.start - b.start);
    for (const s of fresh) {
      this.sessions.set(s.id, s);
      const time = s.start ? startDate(s.start) : noticed;
      if (!dateCanHold(s.start / 1e6)) {
        sink.warning({ type: 'warning', source: 'logind', ...timeOutOfRange(s.start / 1e6, `${this.dir}/${s.id}`, 0) }, this.position());
      }
      if (this.minTime !== null && time.getTime() / 1000 < this.minTime) sink.progress(this.position());
      else sink.event(event('login', s, time), this.position());
    }
    this.minTime = null;
    await sink.room();
  }

  close(): void {
    // Nothing is held: the directory watcher belongs to subscribe.
  }

  private report(sink: SourceSink, err: unknown): void {
    const p = problem(err, 'logind', this.dir);
    if (p.code === this.warned) return;
    this.warned = p.code;
    sink.warning({ type: 'warning', source: 'logind', ...p }, this.position());
  }
}
