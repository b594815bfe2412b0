/** What every `utmpx` subcommand shares: usage errors, the command shape, escaping. */
import { escapeForTerminal } from '../terminal';

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
  return safe(wide ? s : [...s].slice(0, n).join('')).padEnd(n);
}
