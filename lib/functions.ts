/**
 * One-call answers: who is logged in, when the system booted, the run level,
 * the failed logins. What Node tools get today from `exec('who')` and a regex.
 */
import * as fs from 'fs';
import { BackwardCursor } from './records/backward-cursor';
import type { EntryCursor } from './records/entry-cursor';
import { FileOrStreamCursor } from './records/stream-cursor';
import type { UtmpEntry } from './model/entry';
import { logindTakesNoPath, withAdvice } from './model/errors';
import { killSaysAlive, leadersAlive } from './platform/processes';
import type { LayoutName } from './records/layouts';
import { type DirectoryState, kernelBootSeconds, kernelBootSecondsAsync, liveDecision, logindUsers, logindUsersAsync, whyNoLogind } from './sources/logind';
import { type UtmpReader, liveUtmpIsPlainFile, paths } from './platform/platform';
import { tryNative } from './platform/native';
import { UtmpFile } from './utmp-file';
import { type WarningOptions, WarningSink } from './model/warnings';

/** Options of `users()`, `bootTime()` and `runLevel()`. */
export interface UtmpQueryOptions extends WarningOptions {
  /** A utmp file to read instead of the system's live database. */
  path?: string;
  /**
   * The reader. By default (`'auto'`) the decoder on glibc, where the live
   * database is a plain array of `struct utmpx`: it reads the whole file in one
   * call under the same fcntl read lock glibc's readers take, and gives the
   * same entries as libc (a differential test holds them to it) ten or more
   * times faster than libc's lock, read and unlock per record. Elsewhere the
   * rule of `UtmpFile`. `'libc'` forces getutxent.
   *
   * Where the system keeps no utmp but systemd-logind runs (Debian 13 and the
   * like; the rule is `liveSource()`), `'auto'` reads logind instead: sessions
   * through sd-login, the boot time from the kernel, no run level. `'utmp'`
   * forces utmp (with the reader above), `'logind'` forces logind (no `path`).
   */
  source?: UtmpReader | 'utmp' | 'auto';
}

/**
 * Where `users()`, `bootTime()` and `runLevel()` answer from with these
 * options: `'logind'` for the live database of a system that keeps no utmp
 * file and runs systemd-logind (see sources/logind.ts), or when forced;
 * `'utmp'` otherwise (any `path` is a utmp file).
 */
export function liveSource(options: UtmpQueryOptions = {}): 'utmp' | 'logind' {
  return decide(options).source;
}

// The decision, with the session directory's state it saw (the logind reader reuses it).
function decide(options: UtmpQueryOptions): { source: 'utmp' | 'logind'; dir?: DirectoryState | null } {
  const s = options.source ?? 'auto';
  if (s === 'logind') {
    if (options.path !== undefined) throw logindTakesNoPath();
    return { source: 'logind' };
  }
  if (s !== 'auto' || options.path !== undefined) return { source: 'utmp' };
  return liveDecision(paths().utmp);
}

/** Options of `users()`. */
export interface UsersOptions extends UtmpQueryOptions {
  /**
   * Drop sessions whose `ut_pid` is no longer a running process (login(1) can
   * leave such entries behind). Default: `true` for the live database, as
   * who(1) does; `false` for a `path`, whose pids belong to another moment or
   * machine. Inside a PID namespace (a container) the host's login processes
   * are invisible, so every session would look stale there.
   */
  dropStale?: boolean;
}

/**
 * Whether process `pid` exists, as `kill(pid, 0)` tells: `EPERM` (someone
 * else's process) counts as alive. Pids of 0 or below name no single process
 * and count as alive, so an entry is never dropped on a pid it cannot check.
 */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  // /proc/PID exists exactly while kill(PID, 0) finds the process (zombies and
  // other users' processes too), and asking costs no exception per dead pid.
  if (procMounted()) return fs.existsSync(`/proc/${pid}`);
  return killSaysAlive(pid);
}

// Whether /proc lists every process: mounted, and without hidepid (which hides other users' processes).
let procChecked: boolean | undefined;
const procMounted = () => (procChecked ??= process.platform === 'linux' && fs.existsSync(`/proc/${process.pid}`) && !procHidesPids());

function procHidesPids(): boolean {
  try {
    return fs.readFileSync('/proc/self/mountinfo', 'latin1').split('\n')
      .some((row) => row.split(' ')[4] === '/proc' && /hidepid=(?!0\b|off\b)/.test(row));
  } catch {
    return true; // cannot tell: ask kill()
  }
}

/** The live database missing is not "nobody is logged in": says where sessions live instead. @internal */
export function explainMissing(err: unknown, db: UtmpFile, path: string | undefined): unknown {
  return withAdvice(err, (e) => path === undefined && e.code === 'ENOENT', () => {
    const why = whyNoLogind();
    // Nothing missing: logind was passed over because the utmp source was asked for.
    if (why.length === 0) return `ENOENT: no utmp database at '${db.path}'; systemd-logind keeps the sessions here (read them with source 'logind' or 'auto')`;
    return `ENOENT: no utmp database at '${db.path}', and no systemd-logind sessions to read instead ` +
      `(${why.join('; ')}): this system (a container?) records no current sessions`;
  });
}

// The user sessions of `entries`, without the stale ones when dropStale says so:
// their pids asked of the addon in one call (kill(pid, 0) each), not a stat a pid.
function liveUsers(entries: UtmpEntry[], options: UsersOptions): UtmpEntry[] {
  const listed = entries.filter((u) => u.ut_user_process);
  if (!(options.dropStale ?? options.path === undefined) || listed.length === 0) return listed;
  const alive = leadersAlive(Int32Array.from(listed, (u) => u.ut_pid ?? 0), tryNative());
  return listed.filter((_, i) => alive[i] === 1);
}

/**
 * The user sessions in utmp now: its USER_PROCESS entries, in file order.
 *
 * Where the system keeps no utmp but systemd-logind runs (Debian 13 and the
 * like; see `liveSource()`), the sessions of logind instead, as coreutils' who
 * shows them (entries with `source: 'logind'`). Throws a Node-style `ENOENT`
 * error when there is neither (containers): an empty list there would claim
 * that nobody is logged in, which is not known.
 *
 * Made to be polled: like `bootTime()` and `runLevel()`, it keeps the file it
 * read open for a second (one descriptor at a time), and reuses the entries of
 * the last read while the file's bytes stay the same.
 *
 * @example
 * for (const u of users()) console.log(u.ut_user, u.ut_line, u.ut_host, u.date);
 */
export function users(options: UsersOptions = {}): UtmpEntry[] {
  const live = decide(options);
  if (live.source === 'logind') return logindUsers(options.dropStale ?? true, undefined, live.dir, options);
  return liveUsers(readAll(options, true), options);
}

/**
 * `users()`, read off the main thread. Polled, a local file whose last change
 * is two seconds old or more is not read again while a stat of it (on the
 * main thread, as cheap as an fstat) tells the same: every write changes its ctime.
 */
export async function usersAsync(options: UsersOptions = {}): Promise<UtmpEntry[]> {
  const live = decide(options);
  if (live.source === 'logind') return logindUsersAsync(options.dropStale ?? true, undefined, live.dir, options);
  return liveUsers(await readAllAsync(options, true), options);
}

/** The run level init recorded in utmp (a RUN_LVL entry). */
export interface RunLevel {
  /**
   * The current run level: `'0'`...`'9'`, `'S'`, `'a'`... (a letter or a digit,
   * as init writes them), or null when the record holds something else (a
   * damaged or hostile record: see `code`).
   */
  level: string | null;
  /** The byte the record holds for the level (the low byte of `ut_pid`), whatever it is. */
  code: number;
  /** The previous run level, `'N'` for none (at boot), or null when none is recorded. */
  previous: string | null;
  /** When init changed to it. */
  time: Date;
}

// init stores the run level in ut_pid: the level's character plus 256 times the previous one's.
/** The run level a RUN_LVL entry records. @internal */
export function toRunLevel(u: UtmpEntry): RunLevel {
  const pid = u.ut_pid ?? 0;
  const prev = Math.floor(pid / 256) & 0xff;
  const code = pid & 0xff;
  const level = String.fromCharCode(code);
  return {
    level: /^[0-9A-Za-z]$/.test(level) ? level : null,
    code,
    previous: prev > 0x20 && prev < 0x7f ? String.fromCharCode(prev) : null,
    time: u.date,
  };
}

function lastOf(entries: UtmpEntry[], type: UtmpEntry['ut_type']): UtmpEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].ut_type === type) return entries[i];
  return undefined;
}

// The one-call functions read glibc's live database with the decoder (see
// `source`); 'utmp' keeps UtmpFile from asking about logind again.
function withSource(options: UtmpQueryOptions): UtmpQueryOptions {
  const s = options.source ?? 'auto';
  if ((s !== 'auto' && s !== 'utmp') || options.path !== undefined) return options;
  return { ...options, source: liveUtmpIsPlainFile() ? 'decoder' : 'utmp' };
}

// `usersOnly`: the caller keeps USER_PROCESS entries only. These functions are
// polled: the file may stay open a moment for the next call (see `CursorHints`).
function readAll(options: UtmpQueryOptions, usersOnly = false): UtmpEntry[] {
  options = withSource(options);
  const db = new UtmpFile(options.path, options).hint({ usersOnly, keepOpen: true });
  try {
    return db.toArray();
  } catch (err) {
    throw explainMissing(err, db, options.path);
  }
}

async function readAllAsync(options: UtmpQueryOptions, usersOnly = false): Promise<UtmpEntry[]> {
  options = withSource(options);
  const db = new UtmpFile(options.path, options).hint({ usersOnly, keepOpen: true });
  try {
    return await db.toArrayAsync();
  } catch (err) {
    throw explainMissing(err, db, options.path);
  }
}

const secondsToDate = (s: number | null) => (s === null ? null : new Date(s * 1000));

/**
 * When the system booted, from utmp's BOOT_TIME entry (the last one), or null
 * when the database has none. Throws `ENOENT` like `users()` when there is no
 * utmp database (on Linux, `os.uptime()` then still tells). Where logind
 * answers (`liveSource()`), the kernel's boot time (`btime` of /proc/stat).
 */
export function bootTime(options: UtmpQueryOptions = {}): Date | null {
  if (liveSource(options) === 'logind') return secondsToDate(kernelBootSeconds());
  return lastOf(readAll(options), 'BOOT_TIME')?.date ?? null;
}

/** `bootTime()`, read off the main thread. */
export async function bootTimeAsync(options: UtmpQueryOptions = {}): Promise<Date | null> {
  if (liveSource(options) === 'logind') return secondsToDate(await kernelBootSecondsAsync());
  return lastOf(await readAllAsync(options), 'BOOT_TIME')?.date ?? null;
}

/**
 * The current run level from utmp's RUN_LVL entry (the last one), or null when
 * the database has none. Throws `ENOENT` like `users()` when there is no utmp.
 * Null where logind answers (`liveSource()`): systemd has no run levels.
 *
 * @example
 * runLevel(); // { level: '5', previous: 'N', time: 2024-01-15T09:00:05.000Z }
 */
export function runLevel(options: UtmpQueryOptions = {}): RunLevel | null {
  if (liveSource(options) === 'logind') return null;
  const u = lastOf(readAll(options), 'RUN_LVL');
  return u ? toRunLevel(u) : null;
}

/** `runLevel()`, read off the main thread. */
export async function runLevelAsync(options: UtmpQueryOptions = {}): Promise<RunLevel | null> {
  if (liveSource(options) === 'logind') return null;
  const u = lastOf(await readAllAsync(options), 'RUN_LVL');
  return u ? toRunLevel(u) : null;
}

/** Options of `failedLogins()`. */
export interface FailedLoginsOptions extends WarningOptions {
  /** Newest first, reading the file backwards (as lastb(1) shows it). Default: file order, oldest first. */
  newestFirst?: boolean;
  /** Read the file as this layout instead of recognising it. */
  layout?: LayoutName | 'auto';
}

// Reading btmp is root's business: say so, keeping the error's code.
/** Adds "reading failed logins needs root" to an EACCES error. @internal */
export function explainDenied(err: unknown): unknown {
  return withAdvice(err, (e) => e.code === 'EACCES' && !e.message.includes('needs root'), (e) =>
    `${e.message} (reading failed logins needs root: btmp is readable by root only)`);
}

/**
 * The system's btmp missing (ENOENT kept): this system records no failed
 * logins (modern distributions may write none, and they have no SQLite
 * successor). A file the caller names keeps the plain ENOENT. @internal
 */
export function explainNoBtmp(err: unknown, path: string): unknown {
  return withAdvice(err, (e) => e.code === 'ENOENT' && path === paths().btmp && !e.message.includes('failed logins'), () =>
    `ENOENT: no btmp at '${path}': this system records no failed logins (nothing writes btmp here; ` +
    'look in the system log instead: journalctl, or /var/log/auth.log)');
}

// The file forwards or backwards: one cursor either way.
function openBtmp(path: string, options: FailedLoginsOptions): EntryCursor {
  const layout = options.layout ?? 'auto';
  const sink = new WarningSink(options);
  return options.newestFirst ? new BackwardCursor(path, layout, sink) : new FileOrStreamCursor(path, layout, sink);
}

/**
 * Every record of btmp, the failed-login log (as lastb(1) shows them: every
 * record, whatever its type), streamed: constant memory however large the
 * file. The file is opened on the first step, so a missing or unreadable
 * btmp throws there (`EACCES` for non-root users, with a message that says so).
 *
 * @param path the btmp file; default `paths().btmp` (`/var/log/btmp`)
 * @example
 * for (const f of failedLogins(undefined, { newestFirst: true })) console.log(f.ut_user, f.ut_host, f.date);
 */
export function* failedLogins(path: string = paths().btmp, options: FailedLoginsOptions = {}): Generator<UtmpEntry, void, undefined> {
  const cursor = openBtmp(path, options);
  try {
    for (let e = cursor.nextSync(); e; e = cursor.nextSync()) yield e;
  } catch (err) {
    throw explainNoBtmp(explainDenied(err), path);
  } finally {
    cursor.release();
  }
}

/** `failedLogins()`, read off the main thread: `for await (const f of failedLoginsAsync()) ...`. */
export async function* failedLoginsAsync(path: string = paths().btmp, options: FailedLoginsOptions = {}): AsyncGenerator<UtmpEntry, void, undefined> {
  const cursor = openBtmp(path, options);
  try {
    // An entry already read is taken without a trip through the event loop.
    for (let e = cursor.canTakeNow() ? cursor.take() : await cursor.nextAsync(); e;
      e = cursor.canTakeNow() ? cursor.take() : await cursor.nextAsync()) yield e;
  } catch (err) {
    throw explainNoBtmp(explainDenied(err), path);
  } finally {
    cursor.release();
  }
}
