import * as fs from 'fs';
import * as os from 'os';
import type { Session } from '../model/session';
import { Accounts } from '../platform/accounts';
import { seconds } from './roles';

/**
 * `last`'s test for a session with no recorded end: stale ("gone") when it
 * began before this machine's boot, when its user is unknown here, or when
 * its login process (`/proc/PID/loginuid`) or else its terminal belongs to
 * another user. Users come from /etc/passwd (other NSS sources are not asked).
 */
export class Liveness {
  private readonly bootSeconds = Math.floor(Date.now() / 1000 - os.uptime());
  private accounts: Accounts | null = null;

  isStale(s: Pick<Session, 'login' | 'user' | 'pid' | 'line'>): boolean {
    if (seconds(s.login) < this.bootSeconds) return true;
    const uid = this.uidOf(s.user.slice(0, 31)); // last cuts the name to 31 bytes
    if (uid === undefined) return true;
    let loginuid: string | null = null;
    try {
      loginuid = fs.readFileSync(`/proc/${s.pid >>> 0}/loginuid`, 'latin1');
    } catch {
      // No such process: the terminal's owner decides.
    }
    if (loginuid !== null) {
      const m = /^\s*(\d+)/.exec(loginuid);
      return !m || Number(m[1]) !== uid;
    }
    try {
      return fs.statSync(`/dev/${s.line}`).uid !== uid;
    } catch {
      return true;
    }
  }

  private uidOf(user: string): number | undefined {
    this.accounts ??= new Accounts();
    return this.accounts.uid(user) ?? undefined;
  }
}
