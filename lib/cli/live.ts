/** What the subcommands that read the live utmp share. */
import type { CommandIO } from './common';

/**
 * A system with no utmp database (containers, systemd-logind-only
 * distributions) is not an error of the command, and not "nobody is logged
 * in": it is said on stderr, stdout stays empty, and the exit code is 0.
 * Returns the exit code, or rethrows any other error.
 */
export function noLiveDatabase(err: unknown, file: string | undefined, io: CommandIO): number {
  if (file !== undefined || (err as NodeJS.ErrnoException)?.code !== 'ENOENT') throw err;
  io.err.write(`utmpx: ${(err as Error).message}\n`);
  return 0;
}
