/**
 * The merger: every source hands its events to one queue, in its own order;
 * the consumer takes them one at a time. Each delivered event carries the
 * position of the whole watch right after it: for its source, the position
 * the source gave with it; for the others, that of their last delivered
 * event (or of records that were no event). So a stored position never
 * skips an event still in the queue. Sources wait while the queue is full.
 */
import type { SourceEvent, SourceGap, SourceWarning, WatchItem } from './events';
import type { SourcePosition, WatchPosition } from './position';
import type { SourceSink } from './feed';

/** Items queued before sources wait for the consumer. */
export const HIGH_WATER = 4096;

interface Queued {
  key: string;
  item: SourceEvent | SourceWarning | SourceGap | null; // null: progress only
  after: SourcePosition;
}

export class EventMerger {
  private queue: Queued[] = [];
  private head = 0;
  private readonly committed: Record<string, SourcePosition> = {};
  /** next() calls waiting for an item, first come first served. */
  private takers: ((r: IteratorResult<WatchItem>) => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private ended = false;

  /** The sink one source hands its events to. */
  sinkFor(key: string): SourceSink {
    const m = this;
    return {
      event: (e, after) => m.push(key, e, after),
      warning: (w, at) => m.push(key, w, at),
      gap: (g, at) => m.push(key, g, at),
      progress: (at) => m.push(key, null, at),
      room: () => m.room(),
      get stopped() { return m.ended; },
    };
  }

  /** Sets a source's position before anything is read (its start point). */
  begin(key: string, at: SourcePosition): void {
    this.committed[key] = at;
  }

  /** The position after the last event taken. */
  position(): WatchPosition {
    return { version: 1, sources: { ...this.committed } };
  }

  /** The next item, waiting for one; done once ended. */
  next(): Promise<IteratorResult<WatchItem>> {
    const item = this.take();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.takers.push(resolve); });
  }

  /** No more items: a waiting next() is done, waiting sources go on (and see `stopped`). */
  end(): void {
    this.ended = true;
    this.queue = [];
    this.head = 0;
    const takers = this.takers;
    this.takers = [];
    for (const t of takers) t({ value: undefined, done: true });
    this.wakeSources();
  }

  private push(key: string, item: SourceEvent | SourceWarning | SourceGap | null, after: SourcePosition): void {
    if (this.ended) return;
    if (item === null && this.head === this.queue.length) {
      this.committed[key] = after; // nothing of anyone's waits: the position moves at once
      return;
    }
    this.queue.push({ key, item, after });
    while (this.takers.length > 0) {
      const value = this.take();
      if (!value) break;
      this.takers.shift()!({ value, done: false });
    }
  }

  private take(): WatchItem | null {
    while (this.head < this.queue.length) {
      const q = this.queue[this.head++];
      this.committed[q.key] = q.after;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (this.queue.length - this.head < HIGH_WATER / 2) this.wakeSources();
      if (q.item) {
        // Each item is the source's own new object: it takes its position in place.
        const item = q.item as WatchItem;
        item.position = this.position();
        return item;
      }
    }
    return null;
  }

  private room(): Promise<void> {
    if (this.ended || this.queue.length - this.head < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeSources(): void {
    if (this.roomWaiters.length === 0) return;
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of w) resolve();
  }
}
