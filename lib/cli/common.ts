/** What every `utmpx` subcommand shares: usage errors, output, time formats. */
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

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** `YYYY-MM-DD HH:MM` in local time, as who(1) prints it. */
export function localMinutes(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Escapes a string from a record for a terminal (see terminal.ts). */
export const safe = escapeForTerminal;

/** The value after option `name` at `args[i]`, or a usage error. */
export function optionValue(args: string[], i: number, name: string): string {
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  return v;
}
