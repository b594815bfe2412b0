/** What the subcommands that read the live utmp share. */
import { type CommandIO, UsageError } from './common';
import type { ParsedArgs } from './args';

/** The `--source` option of who, users and boot. */
export const SOURCE_OPTION = { source: { type: 'string' } } as const;

/** The help line of `--source`. */
export const SOURCE_HELP = `      --source S   utmp or logind (default auto: logind where the system keeps
                   no utmp and systemd-logind runs, else utmp)
`;

/** `--source` checked: 'auto' when not given; a file (-f) is always utmp. */
export function sourceOf(command: string, opts: ParsedArgs): 'auto' | 'utmp' | 'logind' {
  const s = (opts.values.source as string | undefined) ?? 'auto';
  if (s !== 'auto' && s !== 'utmp' && s !== 'logind') throw new UsageError(`${command}: --source must be auto, utmp or logind`);
  if (s === 'logind' && opts.file !== undefined) throw new UsageError(`${command}: --source logind reads no file: drop -f`);
  return s;
}

/**
 * A system with no utmp database (containers, systemd-logind-only
 * distributions) is not an error of the command, and not "nobody is logged
 * in": it is said on stderr, stdout stays empty, and the exit code is 0.
 * Only a list asked for as --json (`emptyJson`) is printed, empty (`[]`):
 * a script parsing it needs no special case.
 * Returns the exit code, or rethrows any other error.
 */
export function noLiveDatabase(err: unknown, file: string | undefined, io: CommandIO, emptyJson = false): number {
  if (file !== undefined || (err as NodeJS.ErrnoException)?.code !== 'ENOENT') throw err;
  io.err.write(`utmpx: ${(err as Error).message}\n`);
  if (emptyJson) io.out.write('[]\n');
  return 0;
}
