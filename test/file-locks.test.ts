/**
 * The read lock every decoder read takes, against a writer that holds the
 * file the way pututxline and updwtmp do (a classic fcntl write lock, taken
 * here by Python's fcntl.lockf in another process): readers wait for it as
 * the addon's `lockPolicy` says, and a writer that never lets go delays the
 * first read once, and no read after it until it lets go.
 */
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { UtmpFile, users } from '../lib';
import { lockAsync, lockSync, unlock } from '../lib/records/file-locks';
import { native } from '../lib/platform/native';
import { ROOT, writeSyntheticWtmp } from './helpers/reliability';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

let dir: string;
let cleanup: () => void;
let file: string;
let wtmp: string;
/** Records in `wtmp`: a few 1 MiB chunks. */
const WTMP_RECORDS = 8_000;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  file = writeWithUtmpdump(path.join(dir, 'utmp'), richFixture());
  wtmp = writeSyntheticWtmp(path.join(dir, 'wtmp'), WTMP_RECORDS);
});
afterAll(() => cleanup());

// Holds a write lock on FILE for HOLD_MS (or until killed), printing "locked" once it has it.
const HOLDER = `
import fcntl, sys, time
f = open(sys.argv[1], 'r+b')
fcntl.lockf(f, fcntl.LOCK_EX)
print('locked', flush=True)
time.sleep(float(sys.argv[2]) / 1000)
fcntl.lockf(f, fcntl.LOCK_UN)
print('unlocked', flush=True)
time.sleep(5)
`;

/** A writer holding `target` locked for `ms`, once it has the lock. */
async function holdLock(ms: number, target = file): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', HOLDER, target, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => (String(d).startsWith('locked') ? resolve() : reject(new Error(String(d)))));
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
  return child;
}

/** `fn` with a read-only descriptor of the fixture, closed after. */
async function withFd(fn: (fd: number) => unknown): Promise<void> {
  const fd = fs.openSync(file, 'r');
  try {
    await fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

test('the policy the addon waits by: a few immediate retries, then up to a second', () => {
  expect(native().lockPolicy).toEqual({ spins: expect.any(Number), waitMs: expect.any(Number) });
  expect(native().lockPolicy.waitMs).toBeGreaterThan(0);
});

describe('a writer holding the file', () => {
  let holder: ChildProcess | undefined;
  afterEach(async () => {
    await letGo(holder);
    holder = undefined;
  });

  test('for a moment: the sync lock waits for it, then is taken', async () => {
    holder = await holdLock(300);
    await withFd((fd) => {
      expect(native().readLock(fd, false)).toBe(false);
      const t0 = process.hrtime.bigint();
      expect(lockSync(fd)).toBe(true);
      expect(elapsedMs(t0)).toBeGreaterThanOrEqual(100); // it did wait for the writer
      unlock(fd);
    });
  });

  test('for a moment: the async lock waits off the main thread, the event loop keeps running', async () => {
    holder = await holdLock(300);
    await withFd(async (fd) => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      const got = await lockAsync(fd);
      clearInterval(timer);
      expect(got).toBe(true);
      expect(ticks).toBeGreaterThan(3);
      unlock(fd);
    });
  });

  test('for good: the lock is given up after waitMs, and reading still returns every record', async () => {
    holder = await holdLock(60_000);
    await withFd((fd) => {
      const t0 = process.hrtime.bigint();
      expect(native().readLock(fd)).toBe(false);
      expect(elapsedMs(t0)).toBeGreaterThanOrEqual(native().lockPolicy.waitMs * 0.9);
    });
    const unlocked = timed(() => new UtmpFile(file, { source: 'decoder' }).toArray());
    expectNoWait(unlocked); // that writer is not waited for again
    // users() polled, the way a monitor calls it: no poll waits either.
    const expected = unlocked.value.filter((e) => e.ut_user_process);
    for (let poll = 0; poll < 3; poll++) {
      const polled = timed(() => users({ path: file }));
      expectNoWait(polled);
      expect(polled.value).toEqual(expected);
    }
    await letGo(holder);
    expect(unlocked.value).toEqual(new UtmpFile(file, { source: 'decoder' }).toArray());
    expect(unlocked.value.length).toBe(richFixture().length);
  });

  test('for good: only the first reader waits, whatever reads next (chunks, polls, async, other threads) until the file changes; once it lets go, writers are waited for again', async () => {
    holder = await holdLock(60_000, wtmp);
    const { waitMs } = native().lockPolicy;
    const first = timed(() => new UtmpFile(wtmp).toArray());
    expect(first.ms).toBeGreaterThanOrEqual(waitMs * 0.9);
    expect(first.sleeps).toBeLessThan(waitMs * 1.5); // one wait, not one per 1 MiB chunk
    expect(() => expectNoWait(first)).toThrow(/waited/); // the measure tells a wait from none
    for (let poll = 0; poll < 3; poll++) {
      const again = timed(() => new UtmpFile(wtmp).toArray());
      expectNoWait(again);
      expect(again.value).toEqual(first.value);
    }
    const async = await timedAsync(() => new UtmpFile(wtmp).toArrayAsync());
    expectNoWait(async);
    expect(async.value).toEqual(first.value);
    const inWorker = await readInWorker(wtmp);
    expectNoWait(inWorker);
    expect(inWorker.count).toBe(WTMP_RECORDS);

    // The file changes (someone writes it without the lock): its writer is waited for once more.
    const size = fs.statSync(wtmp).size;
    fs.appendFileSync(wtmp, fs.readFileSync(wtmp).subarray(0, size / WTMP_RECORDS)); // its first record again
    const changed = timed(() => new UtmpFile(wtmp).toArray());
    expect(changed.ms).toBeGreaterThanOrEqual(waitMs * 0.9);
    expect(changed.value).toHaveLength(WTMP_RECORDS + 1);
    expectNoWait(timed(() => new UtmpFile(wtmp).toArray()));
    fs.truncateSync(wtmp, size);

    // The writer lets go; a reader finds the file free, and the next writer is waited for.
    await letGo(holder);
    expect(new UtmpFile(wtmp).toArray()).toEqual(first.value);
    holder = await holdLock(300, wtmp);
    const waited = timed(() => new UtmpFile(wtmp).toArray());
    expect(waited.ms).toBeGreaterThanOrEqual(100);
    expect(waited.value).toEqual(first.value);
    expect(first.value.length).toBe(WTMP_RECORDS);
  });
});

/**
 * How long a read took, and how often the process slept meanwhile. A reader
 * waiting for a writer sleeps once a millisecond (lockPolicy); one that does
 * not wait hardly sleeps. On a loaded machine (or under ASan) a read can take
 * long without waiting, so "it did not wait" holds when either count is low.
 */
interface Measured {
  ms: number;
  sleeps: number;
}
const sleepsSoFar = () => process.resourceUsage().voluntaryContextSwitches;

function expectNoWait(read: Measured): void {
  const half = native().lockPolicy.waitMs / 2;
  if (read.ms >= half && read.sleeps >= half) throw new Error(`the read waited for the writer: ${read.ms} ms, ${read.sleeps} sleeps`);
}

/** `fn`'s value, how long it took and how often the process slept. */
function timed<T>(fn: () => T): Measured & { value: T } {
  const t0 = process.hrtime.bigint();
  const s0 = sleepsSoFar();
  const value = fn();
  return { value, ms: elapsedMs(t0), sleeps: sleepsSoFar() - s0 };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<Measured & { value: T }> {
  const t0 = process.hrtime.bigint();
  const s0 = sleepsSoFar();
  const value = await fn();
  return { value, ms: elapsedMs(t0), sleeps: sleepsSoFar() - s0 };
}

/** Stops a lock holder and waits for it to be gone (its lock with it). */
async function letGo(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

/** Reads `target` in a worker thread (the built package): how many records, how long, how many sleeps. */
function readInWorker(target: string): Promise<Measured & { count: number }> {
  const source = `
    const { parentPort, workerData } = require('worker_threads');
    const { UtmpFile } = require(workerData.root + '/dist/index.js');
    new UtmpFile(workerData.warmUp).toArray(); // loads the addon: not part of the time
    const t0 = process.hrtime.bigint();
    const s0 = process.resourceUsage().voluntaryContextSwitches;
    const count = new UtmpFile(workerData.target).toArray().length;
    const sleeps = process.resourceUsage().voluntaryContextSwitches - s0;
    parentPort.postMessage({ count, ms: Number(process.hrtime.bigint() - t0) / 1e6, sleeps });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { root: ROOT, target, warmUp: file } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
