/** Runs the built `utmpx` command and the util-linux/coreutils programs it is compared with. */
import { type SpawnSyncReturns, execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
/** The oracles print local time and bytes as they are: pin both. */
export const ORACLE_ENV = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };

/** This system has no utmp file (tests of that case run only then, so the machine's database is never read). */
export const noLiveUtmp = !fs.existsSync('/var/run/utmp') && !fs.existsSync('/run/utmp');

/**
 * Nothing keeps current sessions here: no utmp file and no systemd-logind
 * (not booted with systemd, no session files), so the library must say so.
 */
export const noLiveSessions = noLiveUtmp && !fs.existsSync('/run/systemd/system') &&
  !(fs.existsSync('/run/systemd/sessions') && fs.readdirSync('/run/systemd/sessions').some((n) => !n.endsWith('.ref')));

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

/** `node dist/cli/main.js ...args` with this environment; its output may hold no sign of a value JavaScript lost (see checkOutput). */
export function utmpxIn(env: NodeJS.ProcessEnv, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, maxBuffer: 1 << 30 });
  const result = { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
  checkOutput(args, result.stdout, result.stderr);
  return result;
}

/** What a value JavaScript could not hold or print turns into on the way out. */
export const LOST_VALUE = /\bNaN\b|\bundefined\b|Invalid Date|\[object Object\]/;

/** Throws (failing the test) when the CLI's stdout or stderr shows `NaN`, `undefined`, `Invalid Date` or `[object Object]`. */
export function checkOutput(args: readonly string[], stdout: string, stderr: string): void {
  // An argument the test gave may come back quoted in a message: only what the CLI made counts.
  if (args.some((a) => LOST_VALUE.test(a))) return;
  for (const [name, text] of [['stdout', stdout], ['stderr', stderr]]) {
    const m = LOST_VALUE.exec(text);
    if (m) {
      const at = text.lastIndexOf('\n', m.index) + 1;
      throw new Error(`utmpx ${args.join(' ')}: ${name} holds ${JSON.stringify(m[0])}: ${JSON.stringify(text.slice(at, at + 200))}`);
    }
  }
}

/** A real program's stdout in UTC, as UTF-8 (it must exit 0). */
export function oracle(program: string, ...args: string[]): string {
  return oracleIn(ORACLE_ENV, program, ...args);
}

/** A real program's stdout with this environment. */
export function oracleIn(env: NodeJS.ProcessEnv, program: string, ...args: string[]): string {
  return execFileSync(program, args, { env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}

/** who(1)'s lines (`user line YYYY-MM-DD HH:MM (host)`) as [user, line, time, host]; fields as they are in `text`. */
export function parseWho(text: string): string[][] {
  return text.split('\n').filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)(?:\s+\((.*)\))?$/.exec(l);
    if (!m) throw new Error(`unparsed who line: ${l}`);
    return [m[1], m[2], m[3], m[4] ?? ''];
  });
}

let notAsNobody: string | null | undefined;
/**
 * Why a test cannot run this checkout's code as nobody, or null: not root, or
 * nobody cannot read the checkout or node (a clone under /root, say).
 */
export function whyNotAsNobody(): string | null {
  if (notAsNobody === undefined) {
    const checkout = path.resolve(__dirname, '../..');
    const r = spawnSync(process.execPath, ['-e', 'require("fs").accessSync(process.argv[1], 4)', path.join(checkout, 'dist/index.js')], { uid: 65534, gid: 65534, stdio: 'ignore' });
    notAsNobody = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPERM' ? 'not root: cannot run node as nobody'
      : r.status !== 0 ? `nobody cannot read ${checkout}/dist or run ${process.execPath}` : null;
  }
  return notAsNobody;
}

/** `node ...args` as nobody (uid and gid 65534), output as UTF-8; null when we may not drop privileges (not root). */
export function nodeAsNobody(...args: string[]): SpawnSyncReturns<string> | null {
  const r = spawnSync(process.execPath, args, { uid: 65534, gid: 65534, encoding: 'utf8' });
  return r.error && (r.error as NodeJS.ErrnoException).code === 'EPERM' ? null : r;
}
