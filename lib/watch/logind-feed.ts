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
import { openLoginsDropped, timeOutOfRange } from '../model/warnings';
import type { SourceEvent, WatchEventType, WatchLogin } from './events';
import { MAX_OPEN_LOGINS, MAX_OPEN_LOGIN_BYTES, jsonBytes, nameLogout } from './pairing';
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

/** About the bytes a session takes in the position, as JSON. */
const storedBytes = (s: SeenSession) =>
  100 + jsonBytes(s.id) + jsonBytes(s.user) + jsonBytes(s.line) + jsonBytes(s.host) + jsonBytes(s.service ?? '');

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
  /** The sessions seen, oldest first: at most MAX_OPEN_LOGINS, and MAX_OPEN_LOGIN_BYTES of them, as the open logins of a history. */
  private sessions = new Map<string, SeenSession>();
  /** Their storedBytes(), summed. */
  private bytes = 0;
  /**
   * Sessions let go to stay within those (id to start), while logind still
   * lists them: they are no login again, and their end is no event (nothing
   * is left to name it). Only in memory, and only as many as logind lists.
   */
  private letGo = new Map<string, number>();
  private droppedWarned = false;
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
      for (const s of saved.sessions) this.keep(s, sink);
      return;
    }
    try {
      for (const s of logindSessions()) if (isPersonal(s)) this.keep(seen(s), sink);
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
    const same = (cur: SeenSession | undefined, start: number) => !!cur && (cur.start === start || cur.start === 0 || start === 0);
    for (const [id, old] of [...this.sessions]) {
      if (same(byId.get(id), old.start)) continue;
      this.forget(id);
      sink.event(nameLogout(event('logout', old, noticed), loginOf(old), 'logout'), this.position());
    }
    for (const [id, start] of [...this.letGo]) if (!same(byId.get(id), start)) this.letGo.delete(id);
    const fresh = now.filter((s) => !this.sessions.has(s.id) && !this.letGo.has(s.id)).sort((a, b) => a.start - b.start);
    for (const s of fresh) {
      this.keep(s, sink);
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

  /** Adds a session; lets the oldest go (said once) past MAX_OPEN_LOGINS or MAX_OPEN_LOGIN_BYTES. */
  private keep(s: SeenSession, sink: SourceSink): void {
    this.forget(s.id);
    this.sessions.set(s.id, s);
    this.bytes += storedBytes(s);
    while (this.sessions.size > 1 && (this.sessions.size > MAX_OPEN_LOGINS || this.bytes > MAX_OPEN_LOGIN_BYTES)) {
      const oldest = this.sessions.values().next().value as SeenSession;
      this.forget(oldest.id);
      this.letGo.set(oldest.id, oldest.start);
      if (!this.droppedWarned) {
        this.droppedWarned = true;
        sink.warning({ type: 'warning', source: 'logind', path: `${this.dir}/${oldest.id}`, ...openLoginsDropped(oldest.user, oldest.line) }, this.position());
      }
    }
  }

  private forget(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.bytes -= storedBytes(s);
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
