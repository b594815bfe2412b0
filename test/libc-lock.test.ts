/**
 * The libc path (getutxent) against a writer that holds the file's lock for
 * good. glibc waits 10 s under alarm() and then finds nothing (a silent empty
 * answer), and on a pool thread the alarm never reaches it (a read that never
 * settles, then a mutex every later read blocks on). The libc path must do
 * no worse than the decoder: every record, at most one wait of the lock
 * policy, no hang. The reads run in a child process with a kill timer.
 */
import { type ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { native } from '../lib/platform/native';
import { ROOT, runNodeWithKillTimer } from './helpers/reliability';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const HOLDER = `
import fcntl, sys, time
f = open(sys.argv[1], 'r+b')
fcntl.lockf(f, fcntl.LOCK_EX)
print('locked', flush=True)
time.sleep(120)
`;

// Sync, async, sync again, async again through libc: records, milliseconds and sleeps of each
// (a read waiting for the writer sleeps once a millisecond; under load a read can be slow without waiting).
const READS = `
const { UtmpFile } = require(process.argv[1] + '/dist/index.js');
const p = process.argv[2];
(async () => {
  const out = [];
  const sleeps = () => process.resourceUsage().voluntaryContextSwitches;
  const timed = async (fn) => { const t0 = Date.now(), s0 = sleeps(); const n = (await fn()).length; out.push({ n, ms: Date.now() - t0, sleeps: sleeps() - s0 }); };
  await timed(() => new UtmpFile(p, { source: 'libc' }).toArray());
  await timed(() => new UtmpFile(p, { source: 'libc' }).toArrayAsync());
  await timed(() => new UtmpFile(p, { source: 'libc' }).toArray());
  await timed(() => new UtmpFile(p, { source: 'libc' }).toArrayAsync());
  console.log(JSON.stringify(out));
  process.exit(0);
})();
`;

let dir: string;
let cleanup: () => void;
let holder: ChildProcess | undefined;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
});

async function holdLock(file: string): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', HOLDER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => (String(d).startsWith('locked') ? resolve() : reject(new Error(String(d)))));
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
  return child;
}

test('a writer holding the lock for good: every libc read returns every record, one wait at most, none hangs', async () => {
  const file = writeWithUtmpdump(path.join(dir, 'utmp'), richFixture());
  holder = await holdLock(file);
  const { waitMs } = native().lockPolicy;
  const r = await runNodeWithKillTimer(['-e', READS, ROOT, file], 25_000);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' }); // not killed as hung
  const reads = JSON.parse(r.stdout) as { n: number; ms: number; sleeps: number }[];
  expect(reads.map((x) => x.n)).toEqual(Array(4).fill(richFixture().length));
  expect(reads[0].sleeps).toBeLessThan(waitMs * 1.5); // the one wait
  for (const later of reads.slice(1)) expect(later.ms < waitMs * 0.9 || later.sleeps < waitMs * 0.5).toBe(true); // that writer is not waited for again
}, 40_000);
