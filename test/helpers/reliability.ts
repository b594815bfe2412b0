/**
 * Shared by the reliability tests (concurrency, changing files, fuzz, leak):
 * synthetic record sets written by `utmpdump -r`, and a digest to compare
 * whole reads cheaply across threads and processes.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { UtmpEntry } from '../../lib';
import { type DumpRecord, dumpLine, dumpTime, utmpdumpReverse } from './utmpdump';

/** The repository root (where `dist/` and `build/` live). */
export const ROOT = path.resolve(__dirname, '../..');

/** A stable digest of a whole read: every field of every entry, in order (in digest.js, which worker threads require too). */
export const digestEntries: (entries: readonly UtmpEntry[]) => string = require('./digest.js').digestEntries;

/**
 * `n` distinct login/logout records, as a busy wtmp holds them: record `i`
 * has pid 1000 + i, a unique host and time, so any two differ in many fields.
 */
export function syntheticRecords(n: number, start = 0): DumpRecord[] {
  const out: DumpRecord[] = [];
  for (let k = start; k < start + n; k++) {
    const time = dumpTime(Date.UTC(2024, 0, 1) + k * 1000, k % 1e6);
    out.push({
      type: k % 3 === 0 ? 8 : 7,
      pid: 1000 + k,
      id: `ts/${k % 10}`,
      user: `user${k % 97}`,
      line: `pts/${k % 50}`,
      host: `host${k}.example`,
      addr: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
      time,
    });
  }
  return out;
}

/** Writes `n` synthetic records to `file` with `utmpdump -r` (straight to the file: tens of MB). */
export function writeSyntheticWtmp(file: string, n: number, start = 0): string {
  fs.writeFileSync(file, utmpdumpReverse(syntheticRecords(n, start).map(dumpLine).join('\n') + '\n'));
  return file;
}

/** Rejects after `ms` so a deadlock fails the test instead of hanging it. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (deadlock?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether a writer in another process could lock `file` at once, as
 * pututxline and updwtmp do (a classic fcntl write lock, asked without
 * waiting): false while any reader holds its read lock.
 */
export function writerCanLock(file: string): boolean {
  const script = 'import fcntl, sys\nf = open(sys.argv[1], "r+b")\ntry:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print("free")\nexcept OSError:\n    print("held")\n';
  return execFileSync('python3', ['-c', script, file]).toString().trim() === 'free';
}

/** How a child process ended: its exit code (null when killed as hung) and its output. */
export interface ChildRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node ...args`, killed after `killAfterMs` so that a hang fails a test instead of stalling it. */
export function runNodeWithKillTimer(args: string[], killAfterMs: number, env: NodeJS.ProcessEnv = process.env): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    // 'close', not 'exit': the output may still be arriving when the process has exited.
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
