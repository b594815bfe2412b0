/** The contract of a login history (wtmp, wtmpdb), and the options every one is read with. */
import type { Session } from '../model/session';
import type { WarningOptions } from '../model/warnings';
import type { LayoutName } from '../records/layouts';

/**
 * A login history: its sessions, paired as `last` pairs them, forwards or
 * newest first (`options.newestFirst`), synchronously or without blocking the
 * event loop, both from one read plan. wtmp files are one (sessions.ts),
 * wtmpdb's database the other (`wtmpdbHistory` in sources/wtmpdb.ts); which one
 * answers is `chooseHistory` in platform/platform.ts. A next history (journald)
 * is a third implementation, and a line in that rule.
 */
export interface HistorySource {
  /** Which database answers. */
  readonly source: 'wtmp' | 'wtmpdb';
  sessions(options: SessionsOptions): IterableIterator<Session>;
  sessionsAsync(options: SessionsOptions): AsyncIterableIterator<Session>;
}

/** Options of {@link sessions} and {@link sessionsAsync}. */
export interface SessionsOptions extends WarningOptions {
  /** Also list shutdowns, runlevel changes and clock changes, like `last -x`. */
  system?: boolean;
  /** Ignore records before this time, like `last --since` (whole seconds). */
  since?: Date;
  /** Ignore records after this time, like `last --until` (whole seconds). */
  until?: Date;
  /**
   * Read a btmp file as `lastb` does: every record is one failed login,
   * nothing is paired (`logout` equals `login`, `end` is `logout`).
   */
  failedLogins?: boolean;
  /** Read the file as this layout instead of recognising it. */
  layout?: LayoutName | 'auto';
  /**
   * Which history to read (default `auto`): `wtmpdb` (SQLite) or `wtmp`.
   * `auto` reads a given path as what its header says it is; without a
   * path, wtmpdb's database when it exists (`/var/lib/wtmpdb/wtmp.db`), else
   * the legacy wtmp. wtmp.db wins over a wtmp beside it because where both
   * exist the legacy file is incomplete: Debian 13's sshd still writes its
   * logins there, never its logouts.
   */
  source?: 'wtmp' | 'wtmpdb' | 'auto';
  /** Read `path` as a stream (a pipe, a FIFO, /dev/stdin): see `UtmpFileOptions.stream`. Only `sessionsAsync` reads streams. */
  stream?: boolean;
  /**
   * Newest first, in `last`'s order (by `index`, descending): the wtmp is read
   * backwards and each session comes out when its login is reached, paired as
   * util-linux `last` pairs while reading backwards. Memory holds one record
   * per line, never the sessions. Regular files only (no stream, no compressed
   * file: `ERR_UTMPX_COMPRESSED`); from wtmpdb, in `wtmpdb last`'s order (login
   * descending, then logout ascending), in bounded memory too.
   */
  newestFirst?: boolean;
}

