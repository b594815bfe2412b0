/**
 * The one contract every reader of records implements: the forward cursor
 * over a file (forward-cursor.ts), the backward one (backward-cursor.ts) and
 * the libc snapshot (utmp-file.ts). UtmpFile, failedLogins() and the CLI
 * read through it, whichever reader is behind.
 */
import type { UtmpEntry } from '../model/entry';

export interface EntryCursor {
  /** The next entry, read on this thread when it needs reading; undefined at the end. */
  nextSync(): UtmpEntry | undefined;
  /** The next entry, read off the main thread when it needs reading. */
  nextAsync(): Promise<UtmpEntry | undefined>;
  /** Whether `take()` has an entry to give now, without reading (async readers take it in a settled promise). */
  canTakeNow(): boolean;
  /** The next entry already read (call only when `canTakeNow()`). */
  take(): UtmpEntry;
  /** Lets go of the file; reading again reopens it where it stopped. */
  release(): void;
  /** Bytes after the last whole record, known once the end was reached. */
  readonly trailingBytes: number;
  /** How far the reading has come: bytes of records handed out, of `size` (the file's, once opened). */
  progress(): ReadProgress;
}

/** Bytes of records handed out so far, and the size of the file (0 before it is opened). */
export interface ReadProgress {
  bytesRead: number;
  size: number;
}

/**
 * A reader whose whole answer comes in one read (libc's snapshot, logind's
 * sessions), handed out one entry at a time: only how it is loaded differs.
 * Progress counts entries: no bytes are read through it.
 */
export class SnapshotCursor implements EntryCursor {
  private entries: UtmpEntry[] | null = null;
  private index = 0;
  trailingBytes = 0;

  constructor(
    private readonly loadSync: () => UtmpEntry[],
    private readonly loadAsync: () => Promise<UtmpEntry[]>,
  ) {}

  nextSync(): UtmpEntry | undefined {
    if (!this.entries) this.entries = this.loadSync();
    return this.entries[this.index++];
  }

  async nextAsync(): Promise<UtmpEntry | undefined> {
    if (!this.entries) this.entries = await this.loadAsync();
    return this.entries[this.index++];
  }

  canTakeNow(): boolean {
    return this.entries !== null && this.index < this.entries.length;
  }

  take(): UtmpEntry {
    return this.entries![this.index++];
  }

  release(): void {}

  progress(): ReadProgress {
    const size = this.entries ? this.entries.length : 0;
    return { bytesRead: Math.min(this.index, size), size };
  }
}
