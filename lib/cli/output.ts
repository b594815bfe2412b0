/**
 * Output for the subcommands: the common options (-f, --json, --ndjson,
 * --iso), writing with stdout backpressure, time formats that who(1) and
 * last(1) users know, and the progress indicator for large files.
 */
import { once } from 'events';
import * as fs from 'fs';
import { parseArgs } from 'util';
import { openRecordFileSync } from '../file-source';
import { UsageError } from './common';

export type Format = 'human' | 'json' | 'ndjson';

/** The options every subcommand takes, plus its own. */
export interface ParsedArgs {
  file: string | undefined;
  format: Format;
  iso: boolean;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

const COMMON: OptionSpec = {
  file: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  ndjson: { type: 'boolean' },
};

/** --iso, taken only by the subcommands that print times (elsewhere it is an unknown option). */
export const ISO_OPTION: OptionSpec = { iso: { type: 'boolean' } };

/** Parses `args` (util.parseArgs, strict); any mistake is a UsageError. */
export function parseCommand(command: string, args: string[], extra: OptionSpec = {}, positionals = false): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  const options = { ...COMMON, ...extra };
  try {
    parsed = parseArgs({ args: withAttachedValues(args, options), options, allowPositionals: positionals, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
  // parseArgs keeps the last of a repeated value; getopt tools differ, so refuse to guess.
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || options[t.name].type !== 'string' || options[t.name].multiple) continue;
    if (seen.has(t.name)) throw new UsageError(`${command}: ${t.rawName} given more than once`);
    seen.add(t.name);
  }
  const v = parsed.values as ParsedArgs['values'];
  if (v.json && v.ndjson) throw new UsageError(`${command}: --json and --ndjson exclude each other`);
  if (v.file === '') throw new UsageError(`${command}: -f needs a file name`);
  return {
    file: v.file as string | undefined,
    format: v.json ? 'json' : v.ndjson ? 'ndjson' : 'human',
    iso: Boolean(v.iso),
    values: v,
    positionals: parsed.positionals,
  };
}

/**
 * getopt's rule, which util-linux and shadow follow: an option that takes a
 * value takes the next word whatever it looks like (`-s -3days`, `-u -1001`).
 * util.parseArgs refuses a value that begins with '-' unless attached, so
 * attach it (`--since=-3days`).
 */
function withAttachedValues(args: string[], options: OptionSpec): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.set(`--${name}`, name);
    if (spec.short) takesValue.set(`-${spec.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = takesValue.get(args[i]);
    if (args[i] === '--') { out.push(...args.slice(i)); break; }
    if (name !== undefined && i + 1 < args.length && args[i + 1].startsWith('-')) {
      out.push(`--${name}=${args[++i]}`);
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

// Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1
// controls (U+009B is CSI), bidi and zero-width format characters.
const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON.stringify, with the characters above written as \uXXXX escapes: the
 * same JSON value, so strings are still carried exactly, but safe to print.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const FLUSH_AT = 64 * 1024;

/**
 * Writes lines in batches and waits for 'drain' when the stream asks to, so
 * that a slow reader of stdout never makes us buffer a whole file.
 */
export class LineWriter {
  private pending = '';

  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Queues one line; the returned promise settles once it may be followed by more. */
  async line(text: string): Promise<void> {
    this.pending += text + '\n';
    if (this.pending.length >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.out.write(chunk)) await once(this.out as NodeJS.EventEmitter, 'drain');
  }
}

/**
 * Emits a sequence of records in the chosen format: human lines, one JSON
 * array written element by element, or one JSON object a line.
 */
export class RecordEmitter<T> {
  private count = 0;
  readonly writer: LineWriter;

  constructor(out: NodeJS.WritableStream, private readonly format: Format, private readonly human: (r: T) => string) {
    this.writer = new LineWriter(out);
  }

  async emit(record: T): Promise<void> {
    if (this.format === 'human') return this.writer.line(this.human(record));
    const json = toJson(record);
    if (this.format === 'ndjson') return this.writer.line(json);
    // One JSON document, streamed: '[' before the first element, ']' at the end.
    await this.writer.line((this.count++ === 0 ? '[' : ',') + json);
  }

  /** Closes the JSON array (an empty one if nothing came) and flushes. */
  async end(): Promise<void> {
    if (this.format === 'json') await this.writer.line(this.count === 0 ? '[]' : ']');
    await this.writer.flush();
  }
}

/** Two digits, as strftime's %H, %M, %S, %d, %m print them. */
export const p2 = (n: number) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The local offset from UTC: `+0100` (strftime %z), or `+01:00` with `separator` ':'. */
export function utcOffset(d: Date, separator = ''): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${separator}${p2(a % 60)}`;
}

/** ISO 8601 in local time with the offset, as `last --time-format iso` prints it. */
export function isoLocal(d: Date): string {
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}` +
    utcOffset(d, ':');
}

/** `YYYY-MM-DD HH:MM` in local time, as who(1) prints it. */
export function localMinutes(d: Date): string {
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

/** `Mon Jan 15 09:30`, last(1)'s login column (strftime `%a %b %e %H:%M`). */
export function lastStamp(d: Date): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

/** `Mon Jan 15 09:30:00 2024`, as ctime(3) prints it (last's "begins" line). */
export function ctimeStamp(d: Date): string {
  return `${lastStamp(d)}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** `HH:MM` in local time. */
export function clock(d: Date): string {
  return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

/** who(1)'s time column, or ISO 8601 with --iso. */
export function whoTime(d: Date, iso: boolean): string {
  return iso ? isoLocal(d) : localMinutes(d);
}

/** The parts of a stream the progress indicator needs (a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * The size of a record file and of its records (its layout recognised as the
 * reader will), for a progress indicator on `progressTo`; zeros when that is
 * not a terminal (nothing will be drawn) or the file cannot be opened (the
 * reader then reports why).
 */
export function fileShape(file: string, progressTo: ProgressStream): { size: number; recordSize: number } {
  if (progressTo.isTTY !== true) return { size: 0, recordSize: 0 }; // no indicator will be drawn: no need to look
  try {
    const { fd, size, layout } = openRecordFileSync(file, null);
    fs.closeSync(fd);
    return { size, recordSize: layout!.size };
  } catch {
    return { size: 0, recordSize: 0 };
  }
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
