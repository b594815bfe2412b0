/** What every `utmpx` subcommand shares: usage errors, the command shape, escaping. */
import { escapeForTerminal } from '../model/terminal';

/** A mistake in the command line: exit code 2 with the usage text. */
export class UsageError extends Error {}

/** A subcommand: parses its own arguments, writes to `out`, returns the exit code. */
export interface Command {
  /** One line for the main help. */
  summary: string;
  /** Full help for `utmpx <command> --help`. */
  help: string;
  run(args: string[], io: CommandIO): number | Promise<number>;
}

export interface CommandIO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Escapes a string from a record for a terminal (see terminal.ts). */
export const safe = escapeForTerminal;

/** A column `n` characters wide: cut (unless `wide`), then escaped, so an escape is never cut in half. */
export function column(s: string, n: number, wide = false): string {
  // Printable ASCII (most names): nothing to escape, one character a column.
  const kept = wide ? s.length : Math.min(s.length, n);
  if (isPrintableAscii(s, kept)) {
    if (kept < n) return s + SPACES[n - kept];
    return kept === s.length ? s : s.slice(0, kept);
  }
  return safe(wide ? s : firstCodePoints(s, n)).padEnd(n);
}

const SPACES = Array.from({ length: 257 }, (_, i) => ' '.repeat(i));

/** Whether character (or byte) `c` is printable ASCII other than the backslash: what safe() leaves as it is. */
export const isPlainChar = (c: number): boolean => c >= 0x20 && c <= 0x7e && c !== 0x5c;

/** Whether the first `n` characters of `s` are printable ASCII other than the backslash (which safe() doubles). */
export function isPrintableAscii(s: string, n: number): boolean {
  for (let i = 0; i < n; i++) if (!isPlainChar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * `text` padded with spaces to `n` bytes of UTF-8, as printf's `%-Ns` pads
 * (utmpdump, lastlog2): a multibyte name takes the columns of its bytes.
 */
export function padBytes(text: string, n: number): string {
  return text + ' '.repeat(Math.max(0, n - Buffer.byteLength(text, 'utf8')));
}

/** The first `n` code points of `s` (a pair of surrogates is one), without an array of them. */
function firstCodePoints(s: string, n: number): string {
  if (s.length <= n) return s; // n code units hold at most n code points
  let end = 0;
  for (let count = 0; count < n && end < s.length; count++) {
    const c = s.charCodeAt(end);
    end += c >= 0xd800 && c <= 0xdbff && end + 1 < s.length && (s.charCodeAt(end + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return s.slice(0, end);
}
