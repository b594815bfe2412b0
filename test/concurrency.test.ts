/**
 * Many readers at once: 8 worker threads, async iterators and interleaved
 * sync iterators on the main thread, all reading the same utmp fixture (libc
 * and decoder) and a 100,000-record wtmp. Every read must equal a
 * single-threaded read; nothing may crash or hang. Workers that are
 * terminated or exit in the middle of a read must leave the process healthy,
 * and no read lock behind.
 *
 * The workers load the built package (`dist/`, made by `npm run build`, which
 * `npm test` runs first) and the addon from `build/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { UtmpFile } from '../lib';
import { native } from '../lib/platform/native';
import { ROOT, digestEntries, withTimeout, writeSyntheticWtmp, writerCanLock } from './helpers/reliability';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const THREADS = 8;
const ROUNDS = 6;
const WTMP_RECORDS = 100_000;
// A deadlock never answers; a slow machine (or the sanitizer build) answers late.
const PATIENCE_MS = 150_000;

// Runs inside each worker: reads every (file, reader) combination for `rounds`
// rounds, alternating sync and async, and posts the digest of each read.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
const { UtmpFile } = require(workerData.root + '/dist/index.js');
const { digestEntries } = require(workerData.root + '/test/helpers/digest.js');
async function main() {
  const { utmp, wtmp, rounds, mode } = workerData;
  if (mode === 'abandon') {
    // Keep reads in flight until the parent terminates us or we exit mid-read.
    if (workerData.exitAfterMs >= 0) setTimeout(() => process.exit(3), workerData.exitAfterMs);
    parentPort.postMessage({ started: true });
    for (;;) {
      await Promise.all([
        new UtmpFile(utmp, { source: 'libc' }).toArrayAsync(),
        new UtmpFile(wtmp).toArrayAsync(),
        new UtmpFile(utmp, { source: 'libc' }).toArrayAsync(),
      ]);
      new UtmpFile(utmp, { source: 'libc' }).toArray();
      new UtmpFile(wtmp).toArray();
    }
  }
  for (let round = 0; round < rounds; round++) {
    const sync = (round + workerData.index) % 2 === 0;
    const reads = [['utmp-libc', utmp, 'libc'], ['utmp-decoder', utmp, 'decoder']];
    // The big file in every other round keeps the test well under a minute on 2 cores.
    if (round % 2 === 0) reads.push(['wtmp', wtmp, 'decoder']);
    for (const [name, file, source] of reads) {
      const reader = new UtmpFile(file, { source });
      const entries = sync ? reader.toArray() : await reader.toArrayAsync();
      parentPort.postMessage({ kind: name, digest: digestEntries(entries), count: entries.length });
    }
  }
}
main().then(() => parentPort.postMessage({ done: true }), (err) => { throw err; });
`;

let dir: string;
let cleanup: () => void;
let utmp: string;
let wtmp: string;
const expected = new Map<string, string>();

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  ({ dir, cleanup } = tempDir());
  utmp = writeWithUtmpdump(path.join(dir, 'rich.utmp'), richFixture());
  wtmp = writeSyntheticWtmp(path.join(dir, 'big.wtmp'), WTMP_RECORDS);
  // The single-threaded reads everything else is held to.
  expected.set('utmp-libc', digestEntries(new UtmpFile(utmp, { source: 'libc' }).toArray()));
  expected.set('utmp-decoder', digestEntries(new UtmpFile(utmp, { source: 'decoder' }).toArray()));
  const all = new UtmpFile(wtmp).toArray();
  expect(all).toHaveLength(WTMP_RECORDS);
  expected.set('wtmp', digestEntries(all));
});
afterAll(() => cleanup());

function startWorker(data: Record<string, unknown>): Worker {
  return new Worker(WORKER_SOURCE, { eval: true, workerData: { root: ROOT, utmp, wtmp, ...data } });
}

/** Runs a reading worker to the end; resolves with the digests it posted. */
function runReader(index: number): Promise<{ kind: string; digest: string; count: number }[]> {
  return new Promise((resolve, reject) => {
    const results: { kind: string; digest: string; count: number }[] = [];
    const worker = startWorker({ index, rounds: ROUNDS, mode: 'read' });
    worker.on('message', (m) => (m.done ? resolve(results) : results.push(m)));
    worker.on('error', reject);
    worker.on('exit', (code) => code !== 0 && reject(new Error(`worker ${index} exited with ${code}`)));
  });
}

// The main thread's share: async iterators over the big wtmp while sync
// iterators over the utmp fixture take turns, step by step.
async function mainThreadReads(rounds: number): Promise<number> {
  let reads = 0;
  for (let round = 0; round < rounds; round++) {
    const asyncWtmp = (async () => {
      const out = [];
      for await (const e of new UtmpFile(wtmp)) out.push(e);
      return out;
    })();
    const libcAsync = new UtmpFile(utmp, { source: 'libc' }).toArrayAsync();
    const a = new UtmpFile(utmp, { source: 'libc' });
    const b = new UtmpFile(utmp, { source: 'decoder' });
    const c = new UtmpFile(wtmp);
    const fromA = [];
    const fromB = [];
    const fromC = [];
    for (;;) {
      const [x, y, z] = [a.next(), b.next(), c.next()];
      if (!x.done) fromA.push(x.value);
      if (!y.done) fromB.push(y.value);
      if (!z.done) fromC.push(z.value);
      if (x.done && y.done && z.done) break;
      // Let the async readers and worker messages in between steps.
      if (fromC.length % 5000 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(digestEntries(fromA)).toBe(expected.get('utmp-libc'));
    expect(digestEntries(fromB)).toBe(expected.get('utmp-decoder'));
    expect(digestEntries(fromC)).toBe(expected.get('wtmp'));
    expect(digestEntries(await libcAsync)).toBe(expected.get('utmp-libc'));
    expect(digestEntries(await asyncWtmp)).toBe(expected.get('wtmp'));
    reads += 5;
  }
  return reads;
}

test(`${THREADS} worker threads x ${ROUNDS} rounds, async and interleaved sync iterators: every read equals a single-threaded read`, async () => {
  const started = Date.now();
  const workers = Array.from({ length: THREADS }, (_, i) => runReader(i));
  const mainReads = await withTimeout(mainThreadReads(2), PATIENCE_MS, 'main-thread readers');
  const perWorker = await withTimeout(Promise.all(workers), PATIENCE_MS, 'worker readers');
  let reads = mainReads;
  for (const results of perWorker) {
    expect(results).toHaveLength(ROUNDS * 2 + Math.ceil(ROUNDS / 2));
    for (const r of results) expect(r.digest).toBe(expected.get(r.kind));
    reads += results.length;
  }
  console.log(`concurrency: ${THREADS} threads x ${ROUNDS} rounds + main thread: ${reads} whole reads identical ` +
    `(${WTMP_RECORDS}-record wtmp) in ${Date.now() - started} ms`);
}, PATIENCE_MS + 10_000);

test('workers terminated or exiting in the middle of reads leave the process healthy', async () => {
  const started = Date.now();
  let stopped = 0;
  for (let batch = 0; batch < 3; batch++) {
    const runs = Array.from({ length: THREADS }, (_, i) => new Promise<void>((resolve, reject) => {
      // Half exit by themselves mid-read; half are terminated by us.
      const exitAfterMs = i % 2 === 0 ? 5 + ((i * 7 + batch * 13) % 40) : -1;
      const worker = startWorker({ mode: 'abandon', exitAfterMs });
      worker.on('error', reject);
      worker.on('exit', () => { stopped++; resolve(); });
      worker.once('message', () => {
        if (exitAfterMs < 0) setTimeout(() => void worker.terminate(), 5 + ((i * 11 + batch * 17) % 60));
      });
    }));
    await withTimeout(Promise.all(runs), PATIENCE_MS, 'abandoned workers');
  }
  expect(stopped).toBe(THREADS * 3);
  // No read lock outlived its worker: a writer (another process) gets its lock at once.
  // (The check can fail: it does while this thread holds a read lock.)
  const fd = fs.openSync(wtmp, 'r');
  expect(native().readLock(fd)).toBe(true);
  expect(writerCanLock(wtmp)).toBe(false);
  native().unlock(fd);
  fs.closeSync(fd);
  expect(writerCanLock(wtmp)).toBe(true);
  expect(writerCanLock(utmp)).toBe(true);
  // The addon and the libc lock still work for everyone left.
  expect(digestEntries(new UtmpFile(utmp, { source: 'libc' }).toArray())).toBe(expected.get('utmp-libc'));
  expect(digestEntries(await new UtmpFile(utmp, { source: 'libc' }).toArrayAsync())).toBe(expected.get('utmp-libc'));
  console.log(`concurrency: ${stopped} workers stopped mid-read (terminate() or process.exit()) in ${Date.now() - started} ms`);
}, PATIENCE_MS + 10_000);
