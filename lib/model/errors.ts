/**
 * Every error the readers make, made here: Node's fs error shape (`code`,
 * `errno`, `syscall`, `path`) with a message that says what to do. An error
 * given more to say is a new error with the first as its `cause`, never one
 * whose message was edited after it was made (its `stack` would still show
 * the old message).
 */

/** A Node-style file error: `CODE: text, syscall 'path' (advice)`. */
export function fileError(code: string, errno: number, text: string, syscall: string, path: string, advice: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall} '${path}' (${advice})`);
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/** A coded error without an errno (no system call failed). */
export function codedError(code: string, text: string, syscall: string, path: string, advice: string): NodeJS.ErrnoException {
  const err = fileError(code, 0, text, syscall, path, advice);
  delete err.errno;
  return err;
}

/** A stream (or a compressed file) read with a sync call. */
export function needsAsyncError(path: string, what: string): NodeJS.ErrnoException {
  return codedError('ERR_UTMPX_NEEDS_ASYNC', `${what} is read only asynchronously`, 'read', path,
    'iterate it with for await, or use sessionsAsync()/failedLoginsAsync()');
}

/** A compressed input this Node cannot decompress (`kind`: 'xz' or 'zstd'). */
export function noDecoderError(path: string, kind: string): NodeJS.ErrnoException {
  const advice = kind === 'xz'
    ? 'Node has no xz decoder: decompress it first (xz -dc FILE | utmpx dump -f -)'
    : 'this Node has no zstd decoder (Node 22.15+ has one): decompress it first (zstd -dc FILE | utmpx dump -f -)';
  return codedError('ERR_UTMPX_UNSUPPORTED_COMPRESSION', `${kind}-compressed input`, 'read', path, advice);
}

/** A stream read once (`path` names it) cannot be read again. */
export function streamRewindError(path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ERR_UTMPX_STREAM_REWIND: a stream cannot be rewound, '${path}' (read it again from a new stream)`);
  err.code = 'ERR_UTMPX_STREAM_REWIND';
  err.path = path;
  return err;
}

/** Neither libsystemd nor libelogind could be loaded: logind cannot be asked. */
export function sdLoginUnavailable(): NodeJS.ErrnoException {
  const e = new Error('ENOSYS: sd-login is not available: neither libsystemd.so.0 nor libelogind.so.0 could be loaded') as NodeJS.ErrnoException;
  e.code = 'ENOSYS';
  e.syscall = 'dlopen';
  return e;
}

/** The same error with more to say: its code, errno, syscall and path, the message `message`, and `cause` the first. */
export function restated(err: NodeJS.ErrnoException, message: string, path = err.path): NodeJS.ErrnoException {
  const again: NodeJS.ErrnoException = new Error(message, { cause: err });
  if (err.code !== undefined) again.code = err.code;
  if (err.errno !== undefined) again.errno = err.errno;
  if (err.syscall !== undefined) again.syscall = err.syscall;
  if (path !== undefined) again.path = path;
  return again;
}

// By shape, not instanceof: errors from another realm (a vm context, jest) are errors too.
const isErrno = (err: unknown): err is NodeJS.ErrnoException =>
  typeof err === 'object' && err !== null && 'code' in err && typeof (err as { message?: unknown }).message === 'string';

/** An fs error made without a path (reads by descriptor): the same error, naming `path`. Anything else as it is. */
export function withPath(err: unknown, path: string): unknown {
  return isErrno(err) && err.path === undefined ? restated(err, `${err.message}, '${path}'`, path) : err;
}

/** `err` with `advice` after its message, when `applies` to it. Anything else as it is. */
export function withAdvice(err: unknown, applies: (e: NodeJS.ErrnoException) => boolean, advice: (e: NodeJS.ErrnoException) => string): unknown {
  return isErrno(err) && applies(err) ? restated(err, advice(err)) : err;
}

/**
 * A database missing: ENOENT where the caller named no file (the system's own
 * path) says that this system may keep no such database; a file the caller
 * named is only missing, and its error says no more. Anything else as it is.
 */
export function missingDatabase(err: unknown, callerNamedIt: boolean): unknown {
  return callerNamedIt ? err : withAdvice(err, (e) => e.code === 'ENOENT', (e) => `${e.message} (this system may keep no such database)`);
}

/** The codes of argument errors, as Node's own argument checks use them. */
export type ArgumentErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE' | 'ERR_INCOMPATIBLE_OPTION_PAIR';

/**
 * A mistake in the arguments of a public function, as Node reports its own:
 * a RangeError for ERR_OUT_OF_RANGE, else a TypeError, with `code`.
 */
export function argumentError(code: ArgumentErrorCode, message: string): TypeError & { code: ArgumentErrorCode } {
  const err = (code === 'ERR_OUT_OF_RANGE' ? new RangeError(message) : new TypeError(message)) as TypeError & { code: ArgumentErrorCode };
  err.code = code;
  return err;
}

/** Source "logind" given a path (`UtmpFile`, the one-call functions): logind keeps no file. */
export function logindTakesNoPath(): TypeError & { code: ArgumentErrorCode } {
  return argumentError('ERR_INCOMPATIBLE_OPTION_PAIR', 'source "logind" reads systemd-logind\'s sessions, not a file: give no path');
}

/**
 * Checks a reader's optional `path` argument as the addon does: undefined for
 * the platform's default, else a non-empty string without NUL bytes.
 */
export function checkPathArgument(path: unknown): void {
  if (path === undefined) return;
  const message = 'The "path" argument must be a non-empty string without NUL bytes';
  if (typeof path !== 'string') throw argumentError('ERR_INVALID_ARG_TYPE', `${message}; received ${typeof path}`);
  if (path === '' || path.includes('\0')) throw argumentError('ERR_INVALID_ARG_VALUE', message);
}

/** A TypeError with code ERR_INVALID_ARG_VALUE (as Node's own argument checks make them). */
export function invalidArgValue(message: string): TypeError & { code: string } {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

/** A file the CLI keeps (a watch's --state) that it will not use: `code`, `path`, and a message that says what to do. */
export function stateFileError(code: string, path: string, text: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, open '${path}' (remove it to start watching from now)`);
  err.code = code;
  err.syscall = 'open';
  err.path = path;
  return err;
}

/** What the addon's SQLite reader (src-native/sqlite.cc) throws: a code, and SQLite's own words. */
interface SqliteAddonError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  sqliteCode?: number;
  reason?: string;
}

/** What each code of a SQLite read says, after `CODE: reason, syscall 'path'`. */
function sqliteAdvice(code: string, busyMs: number): [text: string | null, advice: string | null] {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return ['permission denied', 'this database is readable only by root: run as root, or read a copy'];
    case 'ENOENT':
      return ['no such file or directory', null]; // the hint only where no file was named: missingDatabase
    case 'EISDIR':
      return ['illegal operation on a directory', 'pass the path of a database file'];
    case 'EFTYPE':
      return [null, 'not a regular file: pass the path of a database file (a FIFO or a device is never read)'];
    case 'ENXIO':
      return ['no such device or address', 'a socket, not a database file: pass the path of a database file'];
    case 'EBUSY':
      return ['database is locked', `a writer held it for more than ${busyMs} ms; try again`];
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return [null, 'the database is damaged or is not a SQLite database'];
    case 'ERR_UTMPX_SQLITE_NOT_A_TABLE':
      return [null, 'a view or a virtual table runs code of the file\'s choosing: only real tables are read; the file is not what wtmpdb or lastlog2 write'];
    case 'ERR_UTMPX_SQLITE_TOO_BIG':
      return [null, 'no wtmpdb or lastlog2 value is that large: the file is damaged or made to exhaust memory'];
    case 'ERR_UTMPX_SQLITE_TOO_MUCH_WORK':
      return [null, 'the file makes each row expensive to compute (a generated column?): it is not what wtmpdb or lastlog2 write'];
    default:
      return [null, null];
  }
}

/**
 * The addon's SQLite read error as users meet it: Node's shape (`code`,
 * `errno` where there is one, `syscall`, `path`, and `sqliteCode` from
 * SQLite) and a message that says what to do. Anything else as it is.
 */
export function sqliteError(e: unknown, path: string, busyMs: number): unknown {
  const err = e as SqliteAddonError;
  // Duck-typed: the addon's errors come from the main realm (not this one's Error under jest's vm).
  if (typeof err !== 'object' || err === null || typeof err.code !== 'string') return e;
  const reason = err.reason ?? err.message;
  const code = err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED' ? 'EBUSY' : err.code;
  const syscall = err.syscall ?? 'sqlite3_open_v2';
  let message: string;
  if (code === 'ENOSYS') {
    message = `ENOSYS: ${reason}; reading '${path}' needs the SQLite library (libsqlite3.so.0: on Debian the package libsqlite3-0)`;
  } else {
    const [text, advice] = sqliteAdvice(code, busyMs);
    message = `${code}: ${text ?? reason}, ${syscall} '${path}'${advice ? ` (${advice})` : ''}`;
  }
  const out: NodeJS.ErrnoException & { sqliteCode?: number } = new Error(message);
  out.code = code;
  if (err.errno !== undefined) out.errno = err.errno;
  if (err.sqliteCode !== undefined) out.sqliteCode = err.sqliteCode;
  out.syscall = syscall;
  out.path = path;
  return out;
}
