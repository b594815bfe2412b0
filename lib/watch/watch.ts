/**
 * watch(): login, logout, boot, shutdown and failed-login events as they are
 * recorded, as an async iterable. Sources are woken by change notification
 * (inotify on their directories) and by a slow safety poll; they read only
 * what is new, so an idle watch costs nothing measurable.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LayoutName } from '../records/layouts';
import { argumentError, checkPathArgument } from '../model/errors';
import { paths } from '../platform/platform';
import { failedEvent, historyEvent, type WatchItem } from './events';
import { AppendFileFeed } from './file-feed';
import { EventMerger } from './merge';
import { DirectoryNotifier } from './notify';
import { type WatchPosition, parsePosition } from './position';
import { SlotFileFeed } from './slots-feed';
import { WtmpdbFeed } from './wtmpdb-feed';
import { LogindFeed } from './logind-feed';
import { isSqliteFile } from '../sources/sqlite';
import { historySource } from '../sessions';
import type { StartPoint, WakeReason, WatchFeed } from './feed';

/** The kinds of record file a watch reads (`wtmpdb`: a wtmp.db). */
export type WatchFileKind = 'utmp' | 'wtmp' | 'btmp' | 'wtmpdb';

/** The system databases a watch can follow. */
export type WatchSourceName = WatchFileKind | 'logind';

export interface WatchOptions {
  /**
   * Files to watch instead of the system's databases: paths, or `{ path, kind }`.
   * A path's kind comes from its name (`btmp*`: failed logins; `utmp*`: the
   * current sessions, slots compared; a SQLite file: wtmpdb's history;
   * anything else: history, as wtmp). A
   * directory (a copy of another machine's /var/log) stands for its
   * `utmp`, `wtmp` and `btmp`.
   */
  files?: (string | { path: string; kind: WatchFileKind })[];
  /**
   * The system databases to watch when no `files` are given. Default: the
   * history `sessions()` reads (`historySource()`: wtmpdb where
   * /var/lib/wtmpdb/wtmp.db exists, else wtmp) for logins, logouts, boots
   * and shutdowns, plus btmp for failed logins: `['wtmpdb', 'btmp']` or
   * `['wtmp', 'btmp']`. Where wtmpdb is kept the legacy wtmp is incomplete
   * (Debian 13's sshd writes no logouts there), so it is not followed.
   * utmp and logind record the same logins again (add one where no history
   * is kept).
   */
  sources?: WatchSourceName[];
  /** Replay events recorded at or after this time (a Date, or seconds since the epoch), then follow. */
  since?: Date | number;
  /** Resume after this position (an event's `position`, or its JSON text): nothing lost, nothing repeated. */
  position?: WatchPosition | string;
  /** Stops the watch: the iteration ends, every descriptor and watcher is released. */
  signal?: AbortSignal;
  /** Milliseconds between safety polls, for file systems that do not notify (default 2000). */
  pollInterval?: number;
  /** The record layout of the files (default: recognised from their first bytes, else the host's). */
  layout?: LayoutName | 'auto';
}

/** The sources for a file the caller named. */
function sourcesFor(file: string | { path: string; kind: WatchFileKind }, layout: LayoutName | 'auto'): WatchFeed[] {
  const p = typeof file === 'string' ? file : file.path;
  checkPathArgument(p);
  const abs = path.resolve(p);
  let kind = typeof file === 'string' ? undefined : file.kind;
  if (kind === undefined) {
    if (isSqliteFile(abs)) return [new WtmpdbFeed(abs)];
    let isDir = false;
    try {
      isDir = fs.statSync(abs).isDirectory();
    } catch {
      // not there yet: watched for
    }
    if (isDir) return (['utmp', 'wtmp', 'btmp'] as const).flatMap((k) => sourcesFor({ path: path.join(abs, k), kind: k }, layout));
    const name = path.basename(abs);
    kind = name.includes('btmp') ? 'btmp' : name.includes('utmp') ? 'utmp' : 'wtmp';
  }
  if (kind === 'utmp') return [new SlotFileFeed(abs, layout)];
  if (kind === 'btmp') return [new AppendFileFeed('btmp', abs, failedEvent, layout)];
  if (kind === 'wtmp') return [new AppendFileFeed('wtmp', abs, historyEvent, layout, true)];
  if (kind === 'wtmpdb') return [new WtmpdbFeed(abs)];
  throw argumentError('ERR_INVALID_ARG_VALUE', `The "kind" of a watched file must be 'utmp', 'wtmp', 'btmp' or 'wtmpdb' (got ${String(kind)})`);
}

/** The sources a watch with these options reads. @internal */
export function chooseSources(options: WatchOptions): WatchFeed[] {
  const layout = options.layout ?? 'auto';
  if (options.files) return unique(options.files.flatMap((f) => sourcesFor(f, layout)));
  const names = options.sources ?? defaultSources();
  return unique(names.flatMap((name): WatchFeed[] => {
    if (name === 'logind') return [new LogindFeed()];
    if (name === 'wtmpdb') return [new WtmpdbFeed(historySource(undefined, { source: 'wtmpdb' }).path)];
    if (name !== 'utmp' && name !== 'wtmp' && name !== 'btmp') {
      throw argumentError('ERR_INVALID_ARG_VALUE', `The "sources" option takes 'wtmp', 'wtmpdb', 'btmp', 'utmp' or 'logind' (got ${String(name)})`);
    }
    return sourcesFor({ path: paths()[name], kind: name }, layout);
  }));
}

/** The default: the history `sessions()` reads (wtmpdb or wtmp), and btmp. */
export function defaultSources(): WatchSourceName[] {
  return [historySource(undefined).source, 'btmp'];
}

function unique(all: WatchFeed[]): WatchFeed[] {
  return all.filter((s, i) => all.findIndex((t) => t.key === s.key) === i);
}

/** A running watch: iterate it once (`for await`), stop it with `close()`, `break`, or the signal. */
export class Watch implements AsyncIterableIterator<WatchItem> {
  private readonly merger = new EventMerger();
  private readonly notifier = new DirectoryNotifier();
  private readonly timer: NodeJS.Timeout;
  private readonly running = new Map<WatchFeed, { promise: Promise<void>; again: WakeReason | null }>();
  private readonly unsubscribe: (() => void)[] = [];
  private closing: Promise<void> | null = null;
  private readonly onAbort = () => void this.close();

  constructor(private readonly sources: WatchFeed[], from: (s: WatchFeed) => StartPoint, pollInterval: number, private readonly signal?: AbortSignal) {
    for (const s of sources) {
      const sink = this.merger.sinkFor(s.key);
      try {
        s.start(from(s), sink);
      } catch (err) {
        sink.warning({ type: 'warning', code: 'ERR_UTMPX_WATCH', message: String((err as Error)?.message ?? err), source: s.source }, s.position());
      }
      this.merger.begin(s.key, s.position());
    }
    for (const s of sources) {
      for (const p of s.paths) this.notifier.add(p, () => this.wake(s, 'notify'));
      if (s.subscribe) this.unsubscribe.push(s.subscribe(() => this.wake(s, 'notify')));
      this.wake(s, 'start'); // replay (since, a stored position) and anything written meanwhile
    }
    this.timer = setInterval(() => {
      this.notifier.retry();
      for (const s of sources) this.wake(s, 'poll');
    }, pollInterval);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) void this.close();
  }

  /** The position after the last event taken (store it to resume there). */
  get position(): WatchPosition {
    return this.merger.position();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<WatchItem>> {
    return this.merger.next();
  }

  /** `break` out of a `for await` calls this: the watch stops and releases everything. */
  async return(): Promise<IteratorResult<WatchItem>> {
    await this.close();
    return { value: undefined, done: true };
  }

  /** Stops the watch; resolves once every descriptor and watcher is released. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.merger.end();
      clearInterval(this.timer);
      this.notifier.close();
      for (const u of this.unsubscribe) u();
      this.signal?.removeEventListener('abort', this.onAbort);
      // Reads still running see `stopped` at their next step; descriptors are closed after them.
      await Promise.all([...this.running.values()].map((r) => r.promise));
      for (const s of this.sources) s.close();
    })();
    return this.closing;
  }

  private wake(s: WatchFeed, reason: WakeReason): void {
    if (this.closing) return;
    const r = this.running.get(s);
    if (r) {
      if (r.again !== 'start' && r.again !== 'poll') r.again = reason; // the strongest reason wins
      return;
    }
    const state = { promise: Promise.resolve(), again: null as WakeReason | null };
    this.running.set(s, state);
    state.promise = (async () => {
      let why: WakeReason | null = reason;
      const sink = this.merger.sinkFor(s.key);
      while (why && !this.closing) {
        state.again = null;
        try {
          await s.readNew(sink, why);
        } catch (err) {
          sink.warning({ type: 'warning', code: 'ERR_UTMPX_WATCH', message: String((err as Error)?.message ?? err), source: s.source }, s.position());
        }
        why = state.again;
      }
      this.running.delete(s);
    })();
  }
}

/**
 * Login, logout, boot, shutdown and failed-login events as they are
 * recorded, with warnings about sources that went wrong (the watch goes on).
 *
 * ```ts
 * for await (const e of watch({ signal })) {
 *   if (e.type === 'failed') console.log('failed login', e.user, e.host);
 *   store(e.position); // resume with watch({ position })
 * }
 * ```
 */
export function watch(options: WatchOptions = {}): Watch {
  if (options.since !== undefined && options.position !== undefined) {
    throw argumentError('ERR_INCOMPATIBLE_OPTION_PAIR', 'watch(): pass "since" or "position", not both');
  }
  const pollInterval = options.pollInterval ?? 2000;
  if (!(pollInterval >= 10 && pollInterval < 2 ** 31)) throw argumentError('ERR_OUT_OF_RANGE', 'The "pollInterval" option must be at least 10 (milliseconds)');
  let from: (s: WatchFeed) => StartPoint = () => ({ kind: 'now' });
  if (options.since !== undefined) {
    const time = options.since instanceof Date ? options.since.getTime() / 1000 : options.since;
    if (typeof time !== 'number' || Number.isNaN(time)) throw argumentError('ERR_INVALID_ARG_TYPE', 'The "since" option must be a Date or seconds since the epoch');
    from = () => ({ kind: 'since', time });
  } else if (options.position !== undefined) {
    const saved = parsePosition(options.position);
    from = (s) => ({ kind: 'position', saved: saved.sources[s.key] });
  }
  return new Watch(chooseSources(options), from, pollInterval, options.signal);
}
