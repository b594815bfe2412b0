/** The sessions of a login history: what `last` lists, one row each. */
import type { DataSource } from './data-source';


/**
 * How a session ended.
 *
 * For logins (`kind: 'login'`), as `last` shows them:
 * - `logout`: a logout record (a DEAD_PROCESS, or any record with an empty
 *   user) or the next login on the same line; `logout` is its time.
 * - `crash`: the system booted again with no logout first; `logout` is the boot time.
 * - `down`: the system was shut down (or went to runlevel 0 or 6); `logout` is that time.
 * - `still logged in`: no end recorded, and the session looks alive on this
 *   machine (`logout` is null).
 * - `gone`: no end recorded, but the session is stale on this machine (it
 *   began before the current boot, the user is unknown, or the login process
 *   or terminal belongs to someone else); `last` prints "gone - no logout".
 *
 * For the pseudo-sessions of the system itself:
 * - `down`: a `reboot` ended by the next shutdown (or runlevel 0/6).
 * - `logout`: a `shutdown` ended by the next boot, or a `runlevel` change ended by the next one.
 * - `still running`: nothing ended it yet (`logout` is null; for a
 *   `shutdown` that no boot followed, `last` prints 1970-01-01 there).
 * - `time change`: a clock change, which has no end (`logout` is null).
 */
export type SessionEnd = 'logout' | 'crash' | 'down' | 'still logged in' | 'gone' | 'still running' | 'time change';

/**
 * What a session stands for: a user's `login`, or a pseudo-session of the
 * system: `reboot` (from a boot to the next shutdown, always listed, as by
 * `last`), and with `system: true` (like `last -x`) `shutdown` (from a
 * shutdown to the next boot), `runlevel` and `time change`.
 */
export type SessionKind = 'login' | 'reboot' | 'shutdown' | 'runlevel' | 'time change';

/** One session, as one line of `last -F -x`. */
export interface Session {
  kind: SessionKind;
  /** Login name (`reboot`, `shutdown`, `runlevel` for the system's pseudo-sessions). */
  user: string;
  /**
   * Terminal as recorded (`pts/0`, `tty1`, `ssh:notty`). For pseudo-sessions,
   * the label `last` prints: `system boot`, `system down`, `(to lvl 3)`,
   * `old time`, `new time`.
   */
  line: string;
  /** Remote host or X display; the kernel version for reboots and shutdowns. */
  host: string;
  /** Remote address as text (`10.0.0.5`, `2001:db8::1`), or null when none is recorded. */
  address: string | null;
  /** PID of the login process as recorded. */
  pid: number;
  /** When the session began. */
  login: Date;
  /** When it ended, or null while still open (see `end`). */
  logout: Date | null;
  /** How it ended. */
  end: SessionEnd;
  /**
   * Position of the record that began the session (0 for the first record of
   * the file). `last` lists sessions by this, newest first. From wtmpdb: the
   * row's ID (`wtmpdb last`, and `newestFirst`, list by `login`, newest first).
   */
  index: number;
  /** The PAM service that recorded the login (`sshd`, `login`), from wtmpdb; null elsewhere. */
  service: string | null;
  /** Where the session came from: `wtmp`, `btmp` (failed logins) or `wtmpdb`. */
  source: DataSource;
}
