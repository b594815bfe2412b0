/**
 * `UtmpFile`: one utmp, wtmp or btmp database, iterated pyutmp-style.
 *
 * Where the entries come from (`source`; the rule is `chooseSource` in platform.ts):
 * - `libc`: the live database through the addon's setutxent/getutxent
 *   snapshot, taken under a process-wide lock. Used for the system's utmp
 *   (no path given) on glibc and macOS, and for every file on FreeBSD, whose
 *   files have no fixed record layout.
 * - `decoder`: the file streamed in large chunks and decoded by layout. Used
 *   for every other file (wtmp, btmp, copies from other machines, any
 *   foreign format), and for everything on musl, where libc's functions are
 *   stubs.
 * - `logind`: no path given on a system that keeps no utmp but runs
 *   systemd-logind (Debian 13 and the like): its sessions through sd-login, as
 *   the entries coreutils' who makes of them, after a BOOT_TIME entry for the
 *   kernel's boot time. The rule is `chooseLiveSource` in platform.ts.
 */
import { type UtmpEntry, dateCanHold, toEntry } from './model/entry';
import { BackwardCursor } from './records/backward-cursor';
import { type EntryCursor, type ReadProgress, SnapshotCursor } from './records/entry-cursor';
import { LAYOUTS, type LayoutName } from './records/layouts';
import { logindCursor, liveFacts } from './sources/logind';
import { native, tryNative } from './platform/native';
import { argumentError, checkPathArgument, logindTakesNoPath, streamRewindError } from './model/errors';
import {
  LOGIND_SESSIONS_DIR, type UtmpReader, chooseLiveSource, chooseSource, defaultUtmpPath, numberingOf, utmpPathWithoutAddon,
} from './platform/platform';
import type { CursorHints } from './records/forward-cursor';
import type { Readable } from 'stream';
import { FileOrStreamCursor, type StreamInput, StreamCursor, openStreamInput } from './records/stream-cursor';
import { type UtmpWarning, type WarningOptions, WarningSink, timeOutOfRange, trailingBytes } from './model/warnings';

export interface UtmpFileOptions extends WarningOptions {
  /**
   * Force a reader; by default the rule above picks one. `utmp`: the system's
   * utmp even where logind would answer (with the reader the rule picks);
   * `logind`: systemd-logind's sessions (no path).
   */
  source?: UtmpReader | 'utmp' | 'auto';
  /** Read the file as this layout instead of recognising it (implies the decoder). */
  layout?: LayoutName | 'auto';
  /** Newest first: the file read from its end back to its start, in constant memory (implies the decoder). */
  newestFirst?: boolean;
  /**
   * Read `path` as a stream, forwards, whatever it is: a pipe, a FIFO
   * (`/dev/stdin`, `/dev/fd/63` from bash's `<(...)`), a device. Without it,
   * anything but a regular file is refused (EFTYPE). A stream is read only
   * with `for await` (a sync read gives ERR_UTMPX_NEEDS_ASYNC), never blocks
   * (a FIFO with no writer reads as empty) and cannot be rewound once read.
   * Compressed files (gzip, zstd) are recognised by their first bytes either way.
   */
  stream?: boolean;
}

// A whole snapshot from libc, with its damaged records reported.
function libcCursor(path: string | undefined, shownPath: string, sink: WarningSink): SnapshotCursor {
  const cursor: SnapshotCursor = new SnapshotCursor(
    () => entriesOf(native().readUtmpx(path)),
    async () => entriesOf(await native().readUtmpxAsync(path)),
  );
  function entriesOf(snapshot: ReturnType<ReturnType<typeof native>['readUtmpx']>): UtmpEntry[] {
    const numbering = numberingOf(snapshot.platform);
    const recordSize = native().structLayout.size ?? 0;
    const entries = snapshot.records.map((r) => toEntry(r, numbering));
    entries.forEach((e, i) => {
      if (e.ut_type === 'UNKNOWN') {
        sink.report({ code: 'UNKNOWN_TYPE', message: `unknown record type ${e.ut_type_code}`, path: shownPath, offset: i * recordSize });
      }
      if (!dateCanHold(e.ut_time)) sink.report(timeOutOfRange(e.ut_time, shownPath, i * recordSize));
    });
    if (snapshot.trailingBytes > 0) {
      cursor.trailingBytes = snapshot.trailingBytes;
      sink.report(trailingBytes(snapshot.trailingBytes, recordSize, shownPath, snapshot.records.length * recordSize, false, ' (libc ignores them)'));
    }
    return entries;
  }
  return cursor;
}

/**
 * A utmp/wtmp/btmp database. Iterate it with `for...of` (synchronous) or
 * `for await...of` (reads off the main thread). Like pyutmp's `UtmpFile`, the
 * object is its own cursor: a second loop continues where the first stopped,
 * and `rewind()` starts again (taking a fresh snapshot of a live database).
 *
 * @example
 * for (const u of new UtmpFile()) if (u.ut_user_process) console.log(u.ut_user, u.ut_line);
 */
export class UtmpFile implements IterableIterator<UtmpEntry>, AsyncIterable<UtmpEntry> {
  /** The file read: the path given, or the system's utmp (logind's session directory when `source` is `logind`). */
  readonly path: string;
  /**
   * The reader in use: `libc` (the C library's getutxent family) or `decoder`
   * (this package's record decoder). Always `decoder` on musl (Alpine), whose
   * utmpx functions are stubs that find no records. `logind` where the
   * system keeps no utmp and systemd-logind's sessions are read instead.
   */
  readonly source: UtmpReader;
  private readonly givenPath: string | undefined;
  private readonly layoutOption: LayoutName | 'auto';
  private readonly sink: WarningSink;
  private cursor: EntryCursor | null = null;
  private hints: CursorHints = {};
  private readonly newestFirst: boolean;
  /** Where a stream's bytes come from (`stream` option, or `fromStream`). */
  private streamInput: StreamInput | null = null;

  /**
   * The records in a Node Readable (stdin, a child's stdout, an HTTP body),
   * read with `for await`; compressed ones (gzip, zstd) are decompressed.
   * `name` names it in warnings and errors.
   *
   * @example
   * for await (const u of UtmpFile.fromStream(process.stdin)) console.log(u.ut_user);
   */
  static fromStream(readable: Readable, options: Omit<UtmpFileOptions, 'stream' | 'source' | 'newestFirst'> & { name?: string } = {}): UtmpFile {
    const file = new UtmpFile(options.name ?? '<stream>', { ...options, source: 'decoder' });
    file.streamInput = readable;
    return file;
  }

  constructor(path?: string, options: UtmpFileOptions = {}) {
    checkPathArgument(path);
    if (options.layout !== undefined && options.layout !== 'auto' && !LAYOUT_NAMES.has(options.layout)) {
      throw argumentError('ERR_INVALID_ARG_VALUE', `Unknown layout "${options.layout}"; expected one of ${[...LAYOUT_NAMES].join(', ')}`);
    }
    this.givenPath = path;
    this.layoutOption = options.layout ?? 'auto';
    this.sink = new WarningSink(options);
    this.newestFirst = options.newestFirst === true;
    const requested = this.newestFirst ? 'decoder' : options.source ?? 'auto';
    if (requested === 'logind' && path !== undefined) {
      throw logindTakesNoPath();
    }
    if (requested === 'auto' && path === undefined && this.layoutOption === 'auto' && liveIsLogind()) {
      this.source = 'logind';
    } else if (requested === 'auto' || requested === 'utmp') {
      const addon = tryNative();
      this.source = addon
        ? chooseSource(path, addon.platform, addon.libcStubs, this.layoutOption)
        : 'decoder';
    } else {
      this.source = requested;
    }
    if (options.stream) {
      if (path === undefined || this.newestFirst || this.source !== 'decoder') throw argumentError('ERR_INCOMPATIBLE_OPTION_PAIR', '"stream" reads a path forwards: give a path, and no source or newestFirst');
      this.streamInput = () => openStreamInput(path);
    }
    this.path = path ?? (this.source === 'logind' ? LOGIND_SESSIONS_DIR : this.source === 'libc' ? defaultUtmpPath() : utmpPathWithoutAddon());
  }

  /** Problems found so far (at most 1000 kept; see `warningCount`). */
  get warnings(): readonly UtmpWarning[] {
    return this.sink.list;
  }

  /** How many problems were found so far. */
  get warningCount(): number {
    return this.sink.count;
  }

  /** The record layout the decoder uses (after the first read), or null for libc. */
  get layout(): LayoutName | null {
    const c = this.cursor;
    const layout = c instanceof FileOrStreamCursor ? c.layoutInUse : c instanceof StreamCursor ? c.layout : null;
    return layout?.name ?? null;
  }

  /**
   * How far reading has come, for a progress indicator: bytes of records
   * handed out and the file's size (known from the first step on). For the
   * libc reader, whose snapshot tells no bytes, both count records.
   */
  get progress(): ReadProgress {
    return this.cursor?.progress() ?? { bytesRead: 0, size: 0 };
  }

  /** Bytes after the last whole record, known once the end was reached. */
  get trailingBytes(): number {
    return this.cursor?.trailingBytes ?? 0;
  }

  /** The next entry, pyutmp style. */
  next(): IteratorResult<UtmpEntry, undefined> {
    return asResult(this.open().nextSync());
  }

  /**
   * The next entry, or undefined at the end: what `next()` gives, without a
   * result object per entry (for readers of every record, such as sessions()).
   * @internal
   */
  nextEntry(): UtmpEntry | undefined {
    return this.open().nextSync();
  }

  /** Stopping a loop early keeps the position but lets go of the file. */
  return(): IteratorResult<UtmpEntry, undefined> {
    this.cursor?.release();
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<UtmpEntry> {
    const iterator: AsyncIterableIterator<UtmpEntry> = {
      next: () => {
        const cursor = this.open();
        // An entry already read comes back in a settled promise: no async function per entry.
        if (cursor.canTakeNow()) {
          try {
            return Promise.resolve({ value: cursor.take(), done: false });
          } catch (err) {
            return Promise.reject(err);
          }
        }
        return cursor.nextAsync().then(asResult);
      },
      return: async () => this.return(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Back to the first record; a live database is read again on the next step. */
  rewind(): void {
    if (this.cursor && this.streamInput && typeof this.streamInput !== 'function') {
      throw streamRewindError(this.path);
    }
    this.cursor?.release();
    this.cursor = null;
    this.sink.clear();
  }

  /** Lets go of the file (reading again reopens it where it stopped). */
  close(): void {
    this.cursor?.release();
  }

  /** Every entry from the start, as an array (rewinds first). */
  toArray(): UtmpEntry[] {
    this.rewind();
    const out: UtmpEntry[] = [];
    const cursor = this.open();
    // Straight from the cursor: no iterator result object per entry.
    for (let e = cursor.nextSync(); e; e = cursor.nextSync()) out.push(e);
    return out;
  }

  /** Every entry from the start, read off the main thread (rewinds first). */
  async toArrayAsync(): Promise<UtmpEntry[]> {
    this.rewind();
    const out: UtmpEntry[] = [];
    const cursor = this.open();
    // Straight from the cursor: an entry already read is taken without a promise.
    for (let e = cursor.canTakeNow() ? cursor.take() : await cursor.nextAsync(); e;
      e = cursor.canTakeNow() ? cursor.take() : await cursor.nextAsync()) out.push(e);
    return out;
  }

  /**
   * What the one-call functions will do with the entries (see `CursorHints`):
   * with `usersOnly` the decoder may skip records other than USER_PROCESS, so
   * the caller must still filter.
   * @internal
   */
  hint(hints: CursorHints): this {
    this.hints = hints;
    return this;
  }

  /**
   * The cursor that hands out records undecoded (`takeRecordsSync()`), where
   * the decoder reads a file forwards (no libc, logind, stream or newestFirst);
   * null otherwise. For `utmpx dump`, which prints from the bytes.
   * @internal
   */
  recordRuns(): FileOrStreamCursor | null {
    const cursor = this.open();
    return cursor instanceof FileOrStreamCursor && cursor.fileCursor ? cursor : null;
  }

  private open(): EntryCursor {
    if (!this.cursor) {
      this.cursor = this.source === 'logind' ? logindCursor(this.sink)
        : this.source === 'libc'
          ? libcCursor(this.givenPath, this.path, this.sink)
          : this.streamInput
            ? new StreamCursor(this.streamInput, this.path, this.layoutOption, this.sink)
            : this.newestFirst
              ? new BackwardCursor(this.path, this.layoutOption, this.sink, this.hints)
              : new FileOrStreamCursor(this.path, this.layoutOption, this.sink, this.hints);
    }
    return this.cursor;
  }
}

const LAYOUT_NAMES = new Set<string>(Object.keys(LAYOUTS));

function asResult(entry: UtmpEntry | undefined): IteratorResult<UtmpEntry, undefined> {
  return entry ? { value: entry, done: false } : { value: undefined, done: true };
}

// No utmp, and systemd-logind keeps the sessions (see chooseLiveSource).
function liveIsLogind(): boolean {
  return chooseLiveSource(liveFacts(utmpPathWithoutAddon())) === 'logind';
}
