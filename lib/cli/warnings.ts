/**
 * What the reader found wrong in a file (unknown types, trailing bytes, bad
 * UTF-8, times out of range...), told to the user of every subcommand:
 *
 * - human output: on stderr, the first few with their byte offsets, then the
 *   count; `--quiet` silences it;
 * - `--json`: stdout keeps its shape (an array stays an array, so existing
 *   consumers keep working); stderr gets one JSON line
 *   `{"warnings":[...],"warningCount":N}` (`--quiet` silences it). Outputs
 *   that are already one object (boot) carry `warnings` and `warningCount`
 *   members instead;
 * - `--ndjson`: lines of their own kind after the records, `{"warning":{...}}`
 *   (no record has a `warning` member), and `{"warningCount":N}` when more
 *   were found than listed; these are data and `--quiet` leaves them;
 * - `--strict`: exit code 1 when anything was found (the output is complete).
 */
import { isSqliteFile } from '../sources/sqlite';
import type { UtmpWarning } from '../model/warnings';
import { type CommandIO, safe } from './common';
import { type Format, type OptionSpec } from './args';
import { type LineWriter, toJson } from './output';

/** The options every subcommand that reads a file takes. */
export const WARNING_OPTIONS: OptionSpec = {
  quiet: { type: 'boolean' },
  strict: { type: 'boolean' },
};

export const WARNING_HELP = `      --quiet      say nothing on stderr about damaged records
      --strict     exit 1 when the file holds damaged records
`;

/** Shown one by one on stderr; the rest are counted. */
const SHOWN = 5;
/** Listed in JSON. */
const LISTED = 100;

export class WarningReport {
  private readonly kept: UtmpWarning[] = [];
  count = 0;
  private readonly quiet: boolean;
  private readonly strict: boolean;

  constructor(private readonly command: string, private readonly format: Format, values: Record<string, unknown>) {
    this.quiet = Boolean(values.quiet);
    this.strict = Boolean(values.strict);
  }

  /** The library's `onWarning` callback. */
  readonly onWarning = (w: UtmpWarning): void => {
    this.count++;
    if (this.kept.length < LISTED) this.kept.push(w);
  };

  /** The members of an object output (boot). */
  members(): { warnings: UtmpWarning[]; warningCount: number } {
    return { warnings: this.kept, warningCount: this.count };
  }

  /**
   * Tells what was found (NDJSON lines through `writer`, the rest on stderr)
   * and returns the exit code: `code`, or 1 under --strict when anything was.
   */
  async finish(io: CommandIO, code = 0, writer?: LineWriter, objectOutput = false): Promise<number> {
    if (this.count === 0) return code;
    if (this.format === 'ndjson' && writer) {
      for (const w of this.kept) await writer.line(toJson({ warning: w }));
      if (this.count > this.kept.length) await writer.line(toJson({ warningCount: this.count }));
      await writer.flush();
    } else if (this.quiet || (this.format !== 'human' && objectOutput)) {
      // silenced, or carried in the object
    } else if (this.format === 'json') {
      io.err.write(toJson(this.members()) + '\n');
    } else {
      for (const w of this.kept.slice(0, SHOWN)) {
        // From wtmpdb the offset is a row's ID; -1 (lastlog2) and some codes are about no one record.
        const whole = w.offset < 0 || w.code === 'ROWS_DELETED' || w.code === 'UNORDERED_ROWS';
        const where = whole ? '' : `${isSqliteFile(w.path) ? 'row' : 'byte'} ${w.offset}: `;
        io.err.write(`utmpx ${this.command}: ${safe(w.path)}: ${where}${safe(w.message)}
`);
      }
      const more = this.count > SHOWN ? ` (${this.count - SHOWN} more not shown)` : '';
      io.err.write(`utmpx ${this.command}: ${this.count} problem${this.count === 1 ? '' : 's'} in the file's records${more}` +
        ' (--quiet hides this, --strict makes it exit 1)\n');
    }
    return this.strict ? Math.max(code, 1) : code;
  }
}
