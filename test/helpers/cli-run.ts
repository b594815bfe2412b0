/** Runs the built `utmpx` command and the util-linux/coreutils programs it is compared with. */
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
/** The oracles print local time and bytes as they are: pin both. */
export const ORACLE_ENV = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, to look for raw control characters. */
  raw: Buffer;
}

/** `node dist/cli/main.js ...args` in UTC. */
export function utmpx(...args: string[]): CliResult {
  return utmpxIn(ORACLE_ENV, ...args);
}

/** `node dist/cli/main.js ...args` with this environment. */
export function utmpxIn(env: NodeJS.ProcessEnv, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

/** A real program's stdout in UTC, as UTF-8 (it must exit 0). */
export function oracle(program: string, ...args: string[]): string {
  return oracleIn(ORACLE_ENV, program, ...args);
}

/** A real program's stdout with this environment. */
export function oracleIn(env: NodeJS.ProcessEnv, program: string, ...args: string[]): string {
  return execFileSync(program, args, { env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}
