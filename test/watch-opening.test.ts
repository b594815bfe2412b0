/**
 * The watch opens record files through the reading wing (lib/records/): a
 * path that is no regular file gives the warning whose error is the one
 * `UtmpFile` throws (code, syscall, path); a compressed file is refused as
 * the reader that reads at offsets (newestFirst) refuses it, with no event
 * made of its bytes; and its reads take the read lock, which a writer holding
 * the file (Python's fcntl.lockf, as pututxline and updwtmp take it) delays,
 * and the lock policy's give-up keeps from hanging.
 */
import { type ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { UtmpFile, type WatchWarning, watch } from '../lib';
import { native } from '../lib/platform/native';
import { withTimeout } from './helpers/reliability';
import { tempDir } from './helpers/utmpdump';
import { EventReader, appendWithUtmpdump, binary, loginRecord, pidsOf } from './helpers/watch';
import { testWith } from './helpers/tools';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-watch-open-')));
afterEach(() => cleanup());

/** What `read` throws: its code, syscall and path. */
function thrown(read: () => unknown): { code?: string; syscall?: string; path?: string } {
  try {
    read();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { code: err.code, syscall: err.syscall, path: err.path };
  }
  throw new Error('no error');
}

/** The first item a watch of `file` (as `kind`) gives, a warning: the code, syscall and path of its error. Nothing else comes after it. */
async function firstWarning(file: string, kind: 'wtmp' | 'btmp' | 'utmp', layout?: 'glibc-384-le'): Promise<{ code?: string; syscall?: string; path?: string }> {
  const w = watch({ files: [{ path: file, kind }], pollInterval: 100, layout });
  try {
    const first = await withTimeout(w.next(), 10_000, 'the first item');
    expect(first.value).toMatchObject({ type: 'warning', source: kind, path: file });
    const warning = first.value as WatchWarning;
    const err = warning.error as NodeJS.ErrnoException;
    expect(warning.code).toBe(err.code);
    expect(await new EventReader(w).within(300)).toEqual([]); // the same problem is not said again, and no record is made of it
    return { code: err.code, syscall: err.syscall, path: err.path };
  } finally {
    await w.close();
  }
}

describe('a path that is no regular file: the warning carries the error UtmpFile throws', () => {
  const targets: [string, () => Promise<string>][] = [
    ['a FIFO with no writer', async () => {
      const p = path.join(dir, 'fifo');
      execFileSync('mkfifo', [p]);
      return p;
    }],
    ['/dev/zero', async () => '/dev/zero'],
    ['a directory', async () => {
      const p = path.join(dir, 'd');
      fs.mkdirSync(p);
      return p;
    }],
  ];
  describe.each(targets)('%s', (_, target) => {
    test.each(['wtmp', 'btmp', 'utmp'] as const)('watched as %s', async (kind) => {
      const p = await target();
      const expected = thrown(() => new UtmpFile(p).toArray());
      expect(expected.path).toBe(p);
      expect(await firstWarning(p, kind)).toEqual(expected);
    });
  });

  test('a UNIX socket', async () => {
    const p = path.join(dir, 'socket');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(p, resolve));
    try {
      const expected = thrown(() => new UtmpFile(p).toArray());
      expect(await firstWarning(p, 'wtmp')).toEqual(expected);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a compressed file: refused as the reader at offsets refuses it, never read as records', () => {
  for (const tool of ['gzip', 'xz', 'zstd']) testWith(tool)(tool, async () => {
    const wtmp = path.join(dir, 'wtmp');
    const plain = binary([loginRecord(1), loginRecord(2), loginRecord(3)]);
    fs.writeFileSync(wtmp, execFileSync(tool, ['-c'], { input: plain }));
    const expected = thrown(() => new UtmpFile(wtmp, { newestFirst: true }).toArray());
    expect(expected).toEqual({ code: 'ERR_UTMPX_COMPRESSED', syscall: 'read', path: wtmp });
    expect(await firstWarning(wtmp, 'wtmp')).toEqual(expected);
    expect(await firstWarning(wtmp, 'btmp')).toEqual(expected);
    expect(await firstWarning(wtmp, 'utmp')).toEqual(expected);
    expect(await firstWarning(wtmp, 'wtmp', 'glibc-384-le')).toEqual(expected); // a layout given is no reason to decode it

    // Replaced by a plain file: read from its start.
    const w = watch({ files: [wtmp], pollInterval: 100 });
    const r = new EventReader(w);
    try {
      await r.warning('ERR_UTMPX_COMPRESSED');
      fs.writeFileSync(`${wtmp}.new`, plain);
      fs.renameSync(`${wtmp}.new`, wtmp);
      expect(pidsOf(await r.events(3))).toEqual([10001, 10002, 10003]);
    } finally {
      await w.close();
    }
  });
});

// Holds a write lock on FILE for HOLD_MS, printing "locked <time it took it, ms since the epoch>".
const HOLDER = `
import fcntl, sys, time
f = open(sys.argv[1], 'r+b')
fcntl.lockf(f, fcntl.LOCK_EX)
print(f'locked {int(time.time() * 1000)}', flush=True)
time.sleep(float(sys.argv[2]) / 1000)
fcntl.lockf(f, fcntl.LOCK_UN)
time.sleep(60)
`;

/** A writer holding `file` locked for `ms`, and when it took the lock. */
async function holdLock(file: string, ms: number): Promise<{ child: ChildProcess; lockedAt: number }> {
  const child = spawn('python3', ['-c', HOLDER, file, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lockedAt = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const m = /^locked (\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
  return { child, lockedAt };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('a writer holding the file locked', () => {
  test('for a moment: the record it appended is read once it lets go', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary([loginRecord(1)]));
    const w = watch({ files: [wtmp], pollInterval: 100 });
    const r = new EventReader(w);
    const HOLD_MS = 700;
    expect(HOLD_MS).toBeLessThan(native().lockPolicy.waitMs); // waited for, not given up on
    let holder: ChildProcess | undefined;
    try {
      expect(await r.within(300)).toEqual([]); // started, from now
      const held = await holdLock(wtmp, HOLD_MS);
      holder = held.child;
      appendWithUtmpdump(wtmp, [loginRecord(2)]); // cat takes no lock
      expect(pidsOf(await r.events(1))).toEqual([10002]);
      expect(Date.now()).toBeGreaterThanOrEqual(held.lockedAt + HOLD_MS); // not before the writer let go
    } finally {
      await w.close();
      if (holder) await stop(holder);
    }
  });

  test('for good: the lock is given up, and the record is read all the same', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary([loginRecord(1)]));
    const w = watch({ files: [wtmp], pollInterval: 100 });
    const r = new EventReader(w);
    let holder: ChildProcess | undefined;
    try {
      expect(await r.within(300)).toEqual([]);
      holder = (await holdLock(wtmp, 600_000)).child;
      appendWithUtmpdump(wtmp, [loginRecord(2)]);
      appendWithUtmpdump(wtmp, [loginRecord(3)]);
      expect(pidsOf(await r.events(2, 30_000))).toEqual([10002, 10003]);
    } finally {
      await w.close();
      if (holder) await stop(holder);
    }
  }, 40_000);
});
