/** The parts of a stream the progress indicator needs (a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Files at least this large get a progress indicator. */
export const PROGRESS_MIN_BYTES = 32 << 20;

/**
 * A percentage on stderr while a large file is read, redrawn at most every
 * `intervalMs`, erased at the end. Only when stderr is a terminal: a log file
 * or a pipe never receives it.
 */
export class Progress {
  /** Whether anything will be drawn (stderr is a terminal and the file is large). */
  readonly enabled: boolean;
  private lastDraw = 0;
  private drawn = false;
  private calls = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 200,
  ) {
    this.enabled = stream.isTTY === true && total >= PROGRESS_MIN_BYTES;
  }

  /** Called per record with the bytes read so far; cheap when nothing is drawn. */
  update(done: number): void {
    // Look at the clock only every 1024 records.
    if (!this.enabled || (this.calls++ & 1023) !== 0) return;
    const t = this.now();
    if (t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.drawn = true;
    const pct = Math.min(100, Math.floor((done / this.total) * 100));
    this.stream.write(`\rreading ${this.label}: ${pct}%`);
  }

  /** Erases the indicator. */
  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
