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
