/**
 * The read lock every decoder read takes, against a writer that holds the
 * file the way pututxline and updwtmp do (a classic fcntl write lock, taken
 * here by Python's fcntl.lockf in another process): readers wait for it as
 * the addon's `lockPolicy` says, and a writer that never lets go delays a
 * read but never blocks it for good.
 */
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile } from '../lib';
import { lockAsync, lockSync, unlock } from '../lib/file-locks';
import { native } from '../lib/native';
import { writeSyntheticWtmp } from './helpers/reliability';
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
  afterEach(() => holder?.kill());

  test('for a moment: the sync lock waits for it, then is taken', async () => {
    holder = await holdLock(300);
    await withFd((fd) => {
      expect(native().tryReadLock(fd)).toBe(false);
      const t0 = process.hrtime.bigint();
      expect(lockSync(fd)).toBe(true);
      expect(elapsedMs(t0)).toBeGreaterThanOrEqual(100); // it did wait for the writer
      unlock(fd);
    });
  });

  test('for a moment: the async lock waits on timers, the event loop keeps running', async () => {
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
    // The one-call read waits once, then the file is streamed without waiting again.
    const waits = jest.spyOn(native(), 'readLock');
    const unlocked = new UtmpFile(file, { source: 'decoder' }).toArray();
    expect(waits).not.toHaveBeenCalled();
    waits.mockRestore();
    holder.kill();
    expect(unlocked).toEqual(new UtmpFile(file, { source: 'decoder' }).toArray());
    expect(unlocked.length).toBe(richFixture().length);
  });

  test('for good, on a file of many chunks: only the first read waits (sync and async)', async () => {
    holder = await holdLock(60_000, wtmp);
    const waits = jest.spyOn(native(), 'readLock');
    const sync = new UtmpFile(wtmp).toArray();
    expect(waits).toHaveBeenCalledTimes(1);
    waits.mockRestore();
    // Async readers wait by asking again (spins + waitMs times) for the first chunk only.
    const asks = jest.spyOn(native(), 'tryReadLock');
    const async = await new UtmpFile(wtmp).toArrayAsync();
    const { spins, waitMs } = native().lockPolicy;
    expect(asks.mock.calls.length).toBeGreaterThan(spins + waitMs);
    expect(asks.mock.calls.length).toBeLessThan(spins + waitMs + 1 + 10);
    asks.mockRestore();
    holder.kill();
    expect(sync.length).toBe(WTMP_RECORDS);
    expect(async).toEqual(sync);
    expect(new UtmpFile(wtmp).toArray()).toEqual(sync);
  });
});
