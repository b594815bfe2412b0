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
import type { Session } from './model/session';
import { argumentError } from './model/errors';
import { BackwardSessionReader, sessionsInto } from './pairing/backward';
import { Pairing } from './pairing/forward';
import { WTMPDB_PATH, chooseHistory, paths } from './platform/platform';
import type { HistorySource, SessionsOptions } from './sources/history';
import { isSqliteFile } from './sources/sqlite';
import { wtmpdbHistory } from './sources/wtmpdb';
import { UtmpFile } from './utmp-file';

export type { Session, SessionEnd, SessionKind } from './model/session';
export type { SessionsOptions } from './sources/history';

/** Which history {@link sessions} reads for `path` and `options`, and the file. */
export function historySource(path: string | undefined, options: SessionsOptions = {}): { source: 'wtmp' | 'wtmpdb'; path: string } {
  const forced = options.source ?? 'auto';
  if (forced !== 'auto' && forced !== 'wtmp' && forced !== 'wtmpdb') {
    throw argumentError('ERR_INVALID_ARG_VALUE', `The "source" option must be 'wtmp', 'wtmpdb' or 'auto'; received ${String(forced)}`);
  }
  const wtmpOnly = options.failedLogins === true || (options.layout !== undefined && options.layout !== 'auto');
  const source = chooseHistory(path, forced, wtmpOnly, isSqliteFile);
  return { source, path: path ?? (source === 'wtmpdb' ? WTMPDB_PATH : paths().wtmp) };
}

/**
 * The sessions in a wtmp file (default: wtmpdb's wtmp.db where it exists, else this
 * platform's wtmp; see `source`), paired as
 * util-linux `last` pairs them, read as a stream in constant memory.
 *
 * Sessions come out as soon as their end is known (a logout, a reboot, a
 * shutdown); those still open at the end of the file come last, in the
 * order they began. To list them as `last` does, newest first, sort by
 * `index` descending.
 *
 * @example
 * for (const s of sessions()) console.log(s.user, s.line, s.login, s.end);
 */
export function sessions(path?: string | readonly string[], options: SessionsOptions = {}): IterableIterator<Session> {
  return historyOf(path, options).sessions(options);
}

/**
 * {@link sessions}, reading the file without blocking the event loop.
 *
 * @example
 * for await (const s of sessionsAsync('/var/log/wtmp')) if (s.end === 'crash') console.log(s);
 */
export function sessionsAsync(path?: string | readonly string[], options: SessionsOptions = {}): AsyncIterableIterator<Session> {
  return historyOf(path, options).sessionsAsync(options);
}

/** The history `path` and `options` name (the choice is {@link historySource}'s), to read sessions from. @internal */
export function historyOf(path: string | readonly string[] | undefined, options: SessionsOptions): HistorySource {
  const files = rotatedSet(path);
  if (files) return wtmpHistory(files);
  const chosen = historySource(path as string | undefined, options);
  return chosen.source === 'wtmpdb' ? wtmpdbHistory(chosen.path) : wtmpHistory([chosen.path]);
}

/** wtmp files (one, or a rotated set oldest first) as a {@link HistorySource}. */
function wtmpHistory(files: readonly string[]): HistorySource {
  return {
    source: 'wtmp',
    sessions: (options) => (options.newestFirst ? backwardSessions(files, options) : wtmpSessions(files, options)),
    sessionsAsync: (options) => (options.newestFirst ? backwardSessionsAsync(files, options) : wtmpSessionsAsync(files, options)),
  };
}

function* wtmpSessions(files: readonly string[], options: SessionsOptions): IterableIterator<Session> {
  const pairing = new Pairing(options);
  const out = pairing.out;
  for (const file of files) {
    const db = new UtmpFile(file, fileOptions(options)).hint({ pairingOnly: true });
    try {
      // nextEntry, not for...of: no iterator result object per record.
      for (let entry = db.nextEntry(); entry; entry = db.nextEntry()) {
        pairing.push(entry);
        if (out.length === 1) {
          yield out.pop()!; // most records end one session: pop is cheaper than setting the length
        } else if (out.length !== 0) {
          // An indexed loop: yield* would make an array iterator each time.
          for (let i = 0; i < out.length; i++) yield out[i];
          out.length = 0;
        }
      }
    } finally {
      db.close(); // also when the caller stops early, as for...of would
    }
  }
  yield* pairing.finish();
}

/**
 * Several wtmp files read as one history, in the order given (oldest first:
 * `['wtmp.2.gz', 'wtmp.1', 'wtmp']`), so a login in one pairs with its
 * logout in the next; `index` counts records across them all. Null for one path.
 */
function rotatedSet(path: string | readonly string[] | undefined): readonly string[] | null {
  if (!Array.isArray(path)) return null;
  if (path.length === 0) throw argumentError('ERR_INVALID_ARG_VALUE', 'The "path" argument must be a path or a non-empty array of paths (oldest first)');
  return path;
}

function wtmpSessionsAsync(files: readonly string[], options: SessionsOptions): AsyncIterableIterator<Session> {
  const queue = [...files];
  const pairing = new Pairing(options);
  let file = new UtmpFile(queue.shift()!, fileOptions(options));
  let entries = file[Symbol.asyncIterator]();
  return drained(pairing.out, async () => {
    const r = await entries.next();
    if (r.done && queue.length) {
      file = new UtmpFile(queue.shift()!, fileOptions(options)); // the next file of a rotated set
      entries = file[Symbol.asyncIterator]();
    } else if (r.done) {
      pairing.finish();
      return false;
    } else {
      pairing.push(r.value);
    }
    return true;
  }, () => file.close());
}

/**
 * The sessions `fill` puts in `out`, as an async iterator: a plain one, not an
 * async generator, so one await per record read and none per session handed
 * out (an async generator costs several). `fill` gives false once nothing
 * more will come; `close` lets go of the files.
 */
function drained(out: Session[], fill: () => Promise<boolean>, close: () => void): AsyncIterableIterator<Session> {
  let given = 0;
  let finished = false;
  const iterator: AsyncIterableIterator<Session> = {
    async next() {
      if (given === out.length) {
        if (out.length === 1) out.pop(); // cheaper than setting the length (which gives up the array's storage)
        else out.length = 0;
        given = 0;
        while (out.length === 0 && !finished) {
          if (!(await fill())) finished = true;
        }
        if (out.length === 0) return { value: undefined, done: true };
      }
      return { value: out[given++], done: false };
    },
    async return() {
      finished = true;
      out.length = given = 0;
      close();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function* backwardSessions(files: readonly string[], options: SessionsOptions): IterableIterator<Session> {
  const out: Session[] = [];
  const reader = new BackwardSessionReader(files, options, sessionsInto(out, options));
  try {
    while (reader.step()) {
      if (out.length === 1) {
        yield out.pop()!;
      } else if (out.length !== 0) {
        for (let i = 0; i < out.length; i++) yield out[i];
        out.length = 0;
      }
    }
  } finally {
    reader.close();
  }
}

function backwardSessionsAsync(files: readonly string[], options: SessionsOptions): AsyncIterableIterator<Session> {
  const out: Session[] = [];
  const reader = new BackwardSessionReader(files, options, sessionsInto(out, options));
  return drained(out, () => reader.stepAsync(), () => reader.close());
}

function fileOptions(options: SessionsOptions) {
  return { onWarning: options.onWarning, strict: options.strict, layout: options.layout, stream: options.stream };
}
