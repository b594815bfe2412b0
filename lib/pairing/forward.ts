/**
 * Login sessions from a wtmp file, paired the way util-linux `last` pairs them.
 *
 * `last` reads the file backwards and, for each login, takes the first later
 * record on the same line as its logout, unless a reboot or shutdown comes
 * first. Read forwards, that is: each line has at most one open login; the
 * next login or logout record on that line closes it, a reboot closes every
 * open login as a crash, a shutdown (or runlevel 0/6) as down. So the memory
 * held is the open sessions, never the file.
 */
import type { UtmpEntry } from '../model/entry';
import type { DataSource } from '../model/data-source';
import type { Session, SessionEnd, SessionKind } from '../model/session';
import type { SessionsOptions } from '../sources/history';
import { Liveness } from './liveness';
import { Role, roleOf, seconds } from './roles';

/** The forward form of `last`'s pairing; closed sessions are pushed to `out`. */
export class Pairing {
  readonly out: Session[] = [];
  private index = -1;
  /** The open login of each line (one at most: the next record on the line closes it). */
  private readonly open = new Map<string, Session>();
  /** Logins recorded with an empty line: only a reboot or shutdown ends them. */
  private readonly openNoLine: Session[] = [];
  private readonly reboots: Session[] = [];
  private shutdown: Session | null = null;
  private runlevel: Session | null = null;
  private readonly since: number;
  private readonly until: number;
  private liveness: Liveness | null = null;

  constructor(private readonly options: SessionsOptions) {
    this.since = options.since ? seconds(options.since) : -Infinity;
    this.until = options.until ? seconds(options.until) : Infinity;
  }

  push(e: UtmpEntry): void {
    this.index++;
    if (this.since !== -Infinity || this.until !== Infinity) {
      const sec = Math.floor(e.ut_time);
      if (sec < this.since || sec > this.until) return;
    }
    if (this.options.failedLogins) {
      const s = this.session(e, 'login', e.line, null, 'logout');
      s.logout = s.login;
      this.out.push(s);
      return;
    }
    const role = roleOf(e);
    if (role === Role.Ignored) return;
    if (role === Role.Login || role === Role.Logout) {
      if (e.line === '') {
        if (role === Role.Login) this.openNoLine.push(this.session(e, 'login', '', null, 'still logged in'));
        return;
      }
      const previous = this.open.get(e.line);
      if (previous) {
        this.close(previous, e.date, 'logout');
        this.open.delete(e.line); // so the map keeps the order sessions began in
      }
      if (role === Role.Login) this.open.set(e.line, this.session(e, 'login', e.line, null, 'still logged in'));
      return;
    }
    const date = e.date;
    switch (role) {
      case Role.Boot:
        this.systemDown(date, 'crash');
        this.reboots.push(this.session(e, 'reboot', 'system boot', null, 'still running'));
        return;
      case Role.Shutdown:
        this.systemDown(date, 'down');
        this.runlevelChanged(date);
        if (this.options.system) this.shutdown = this.session(e, 'shutdown', 'system down', null, 'still running');
        return;
      case Role.RunLevel: {
        const level = e.ut_pid! & 255;
        if (level === 0x30 || level === 0x36) this.systemDown(date, 'down'); // runlevel 0 or 6
        this.runlevelChanged(date);
        // last writes the level with %c: a NUL level ends the label.
        const label = level === 0 ? '(to lvl ' : `(to lvl ${String.fromCharCode(level)})`;
        if (this.options.system) this.runlevel = this.session(e, 'runlevel', label, null, 'still running');
        return;
      }
      case Role.OldTime:
      case Role.NewTime:
        if (this.options.system) {
          const label = role === Role.OldTime ? 'old time' : 'new time';
          this.out.push(this.session(e, 'time change', label, null, 'time change'));
        }
        return;
      default:
        return;
    }
  }

  /** The sessions nothing ended, in the order they began. */
  finish(): Session[] {
    const rest = [...this.open.values(), ...this.openNoLine, ...this.reboots];
    if (this.shutdown) rest.push(this.shutdown);
    if (this.runlevel) rest.push(this.runlevel);
    for (const s of rest) if (s.kind === 'login') s.end = this.stillOpenEnd(s);
    rest.sort((a, b) => a.index - b.index);
    this.out.push(...rest);
    return this.out;
  }

  // A boot or shutdown at `date`: every open login ends with it, as does the previous shutdown.
  private systemDown(date: Date, how: 'crash' | 'down'): void {
    // last remembers the boot by its time, so a boot at second 0 reads as "no boot".
    const noBoot = seconds(date) === 0;
    for (const s of this.open.values()) this.endLogin(s, date, how, noBoot);
    for (const s of this.openNoLine) this.endLogin(s, date, how, noBoot);
    this.open.clear();
    this.openNoLine.length = 0;
    if (this.shutdown) {
      this.close(this.shutdown, date, 'logout');
      this.shutdown = null;
    }
    if (how === 'down') {
      for (const s of this.reboots) this.close(s, date, 'down');
      this.reboots.length = 0;
    }
  }

  private runlevelChanged(date: Date): void {
    if (this.runlevel) {
      this.close(this.runlevel, date, 'logout');
      this.runlevel = null;
    }
  }

  private endLogin(s: Session, date: Date, how: 'crash' | 'down', noBoot: boolean): void {
    if (noBoot) {
      s.end = this.stillOpenEnd(s);
      this.out.push(s);
    } else {
      this.close(s, date, how);
    }
  }

  private close(s: Session, logout: Date, end: SessionEnd): void {
    s.logout = logout;
    s.end = end;
    this.out.push(s);
  }

  private stillOpenEnd(s: Session): SessionEnd {
    this.liveness ??= new Liveness();
    return this.liveness.isStale(s) ? 'gone' : 'still logged in';
  }

  private session(e: UtmpEntry, kind: SessionKind, line: string, logout: Date | null, end: SessionEnd): Session {
    return newSession(e, kind, line, logout, end, this.index, this.options.failedLogins ? 'btmp' : 'wtmp');
  }
}

export function newSession(e: UtmpEntry, kind: SessionKind, line: string, logout: Date | null, end: SessionEnd, index: number, source: DataSource): Session {
  return {
    kind, user: e.ut_user, line, host: e.ut_host, address: e.address ?? null, pid: e.ut_pid ?? 0,
    login: e.date, logout, end, index, service: null, source,
  };
}
