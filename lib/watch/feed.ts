/**
 * A watch source: one small pluggable piece per database. The watch asks it
 * for a start position, wakes it when something may have changed (its files'
 * notifications, its own notifier, the safety poll), and it reads what is new
 * since its position and hands the events over in order, each with the
 * position just after it.
 *
 * The sources: AppendFileFeed (wtmp, btmp: file-feed.ts), SlotFileFeed
 * (utmp: slots-source.ts), WtmpdbFeed (wtmpdb-source.ts: the highest row ID
 * and the open rows), LogindFeed (logind-source.ts: the sessions seen).
 */
import type { DataSource } from '../model/data-source';
import type { SourceEvent, SourceGap, SourceWarning } from './events';
import type { SourcePosition } from './position';

/** Where a source begins. */
export type StartPoint =
  | { kind: 'now' }
  /** Replay events at or after `time` (seconds since the epoch), then follow. */
  | { kind: 'since'; time: number }
  /** Resume after a stored position (`saved` undefined: this source was not in it; it starts from now). */
  | { kind: 'position'; saved: SourcePosition | undefined };

/** Why a source is asked to read: a notification, the safety poll, or the start. */
export type WakeReason = 'start' | 'notify' | 'poll';

/** What a source hands its events to (the merger). */
export interface SourceSink {
  /** One event, and the source's position right after it. */
  event(e: SourceEvent, after: SourcePosition): void;
  /** A problem; the position is where the source stands. */
  warning(w: SourceWarning, at: SourcePosition): void;
  /** Records that can no longer be read (a gap); the position is where the source goes on from. */
  gap(g: SourceGap, at: SourcePosition): void;
  /** The source moved past records that are no event (a run level, a clock change). */
  progress(at: SourcePosition): void;
  /** Resolves once the consumer has room for more (backpressure): await it between chunks. */
  room(): Promise<void>;
  /** True once the watch is stopping: return as soon as possible. */
  readonly stopped: boolean;
}

export interface WatchFeed {
  /** Stable name in the stored position, e.g. `wtmp:/var/log/wtmp`. */
  readonly key: string;
  readonly source: DataSource;
  /** Files whose changes wake the source (their directories are watched, so creation and renames are seen too). */
  readonly paths: readonly string[];
  /**
   * A notifier of its own (sd_login_monitor's descriptor, say): call `wake`
   * when something changed, return the function that stops it. Optional.
   */
  subscribe?(wake: () => void): () => void;
  /** Takes its start position, synchronously: "now" is the moment watch() was called. Problems become warnings. */
  start(from: StartPoint, sink: SourceSink): void;
  /** Reads what is new since its position and hands it over in order. Never throws. */
  readNew(sink: SourceSink, reason: WakeReason): Promise<void>;
  /** Where it stands now (all it has read handed over). */
  position(): SourcePosition;
  /** Releases its descriptors; called once no read is running. */
  close(): void;
}

/** @deprecated use {@link WatchFeed} ("source" names only the database that answered) */
export type WatchSource = WatchFeed;
