/**
 * watch() through hostile rotations (issue 17): several rotations between
 * two reads, a consumer that lags through copytruncates, a copytruncate of
 * records not yet read, truncation in place to any size, a rotation storm.
 * Exactly once, or a loud gap. Rotations by logrotate (create, copytruncate,
 * compress) on scratch files with their own state file, and by scripted
 * renames done synchronously, so that the watch cannot read in between.
 * util-linux's utmpdump reads the files back as the oracle of what was written.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { watch } from '../lib';
import { readWithUtmpdump, tempDir } from './helpers/utmpdump';
import { EventReader, binary, loginRecord, pidsOf, range } from './helpers/watch';
import { testWith } from './helpers/tools';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-watch-rotation-')));
afterEach(() => cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Skipped with a named reason without logrotate; a CI run that skips them fails (.ci/run installs it).
const logrotateTest = testWith('logrotate', 'utmpdump');
/** utmpdump reads the files back as the oracle of what is on disk. */
const utmpdumpTest = testWith('utmpdump');

/** Runs logrotate -f on `conf` with a state file of its own (it blocks this process, as a rotation between two reads). */
function logrotate(conf: string): void {
  execFileSync('logrotate', ['-f', '-s', path.join(dir, 'logrotate.state'), conf], { stdio: 'pipe' });
}

function logrotateConf(file: string, how: string): string {
  const conf = path.join(dir, 'logrotate.conf');
  fs.writeFileSync(conf, `${file} {\n  ${how}\n  rotate 200\n  missingok\n}\n`);
  return conf;
}

/** The pids utmpdump reads from `files`, in turn. */
const pidsIn = (...files: string[]) => files.flatMap((f) => readWithUtmpdump(f).map((d) => d.pid));

/** Login records numbered from `from` (pids 10000 + i), as utmpdump -r makes them. */
const records = (from: number, to: number) => binary(range(from, to).map((i) => loginRecord(i)));

/** A watch on an empty `wtmp`, with its first read done. */
async function watching(wtmp: string) {
  fs.writeFileSync(wtmp, '', { mode: 0o664 });
  const w = watch({ files: [wtmp] });
  const r = new EventReader(w);
  expect(await r.within(200)).toEqual([]);
  return { w, r };
}

describe('rotations between two reads (create)', () => {
  utmpdumpTest('two renames and two new files before the watch reads: all 1,200 records, in order, no gap', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    try {
      // All synchronous: the watch reads none of it before the last rename.
      fs.appendFileSync(wtmp, records(0, 400));
      fs.renameSync(wtmp, `${wtmp}.1`);
      fs.writeFileSync(wtmp, records(400, 800));
      fs.renameSync(`${wtmp}.1`, `${wtmp}.2`);
      fs.renameSync(wtmp, `${wtmp}.1`);
      fs.writeFileSync(wtmp, records(800, 1200));
      const onDisk = pidsIn(`${wtmp}.2`, `${wtmp}.1`, wtmp);
      expect(onDisk).toHaveLength(1200);
      expect(pidsOf(await r.events(1200))).toEqual(onDisk);
      expect(await r.within(500)).toEqual([]);
      expect(r.gaps).toEqual([]);
    } finally {
      await w.close();
    }
  });

  logrotateTest('logrotate create run twice between two reads, records appended before each: every record once, in order', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    const conf = logrotateConf(wtmp, 'create 0664\n  nocompress');
    try {
      fs.appendFileSync(wtmp, records(0, 300));
      logrotate(conf);
      fs.appendFileSync(wtmp, records(300, 600));
      logrotate(conf);
      fs.appendFileSync(wtmp, records(600, 900));
      const onDisk = pidsIn(`${wtmp}.2`, `${wtmp}.1`, wtmp);
      expect(onDisk).toEqual(range(10000, 10900));
      expect(pidsOf(await r.events(900))).toEqual(onDisk);
      expect(await r.within(500)).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('a file renamed away, read to its end and let go, is not read again when it later takes a rotated name', async () => {
    // The slow first read of a rotation storm, made deterministic: the held file is let go
    // (LATE_WRITES_MS after its rename) before any scan sees it under a rotated name.
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '', { mode: 0o664 });
    const w = watch({ files: [wtmp], pollInterval: 100 });
    const r = new EventReader(w);
    try {
      expect(await r.within(200)).toEqual([]);
      fs.appendFileSync(wtmp, records(0, 3));
      expect(pidsOf(await r.events(3))).toEqual(range(10000, 10003));
      fs.renameSync(wtmp, `${wtmp}.moving`); // no rotated name: no scan lists it
      fs.writeFileSync(wtmp, '', { mode: 0o664 });
      expect(await r.within(1500)).toEqual([]); // held, drained, let go
      fs.renameSync(`${wtmp}.moving`, `${wtmp}.1`);
      expect(await r.within(600)).toEqual([]);
      fs.appendFileSync(wtmp, records(3, 5));
      expect(pidsOf(await r.events(2))).toEqual(range(10003, 10005));
      expect(await r.within(300)).toEqual([]);
      expect(r.gaps).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('a rotation storm: 100 renames, each of a new file holding one record, before the watch reads: all 101, in order', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    const each = range(0, 101).map((i) => records(i, i + 1));
    try {
      for (let i = 0; i < 100; i++) {
        fs.appendFileSync(wtmp, each[i]);
        fs.renameSync(wtmp, `${wtmp}-${String(i).padStart(3, '0')}0000`); // dateext-like names
      }
      fs.writeFileSync(wtmp, each[100]);
      expect(pidsOf(await r.events(101))).toEqual(range(10000, 10101));
      expect(await r.within(500)).toEqual([]);
      expect(r.gaps).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

utmpdumpTest('copies that are no rotation are not replayed: cp wtmp wtmp.1 (not truncated) and wtmp.1.bak, before the watch reads', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(`${wtmp}.1`, records(0, 3)); // an older rotation, there before the watch
  const { w, r } = await watching(wtmp);
  try {
    fs.appendFileSync(wtmp, records(3, 6));
    execFileSync('cp', [`${wtmp}.1`, `${wtmp}.1.bak`]);
    execFileSync('cp', [wtmp, `${wtmp}.2`]); // a backup of the file itself, which goes on
    fs.appendFileSync(wtmp, records(6, 7));
    expect(pidsOf(await r.events(4))).toEqual(pidsIn(wtmp));
    expect(await r.within(500)).toEqual([]);
    expect(r.gaps).toEqual([]);
  } finally {
    await w.close();
  }
});

describe('copytruncate', () => {
  logrotateTest('a consumer that lags through two copytruncates: all 10,020 records, in order, no gap', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    const conf = logrotateConf(wtmp, 'copytruncate\n  nocompress');
    try {
      fs.appendFileSync(wtmp, records(0, 10_000));
      expect(pidsOf(await r.events(1))).toEqual([10000]); // reading; then the consumer stops taking
      await sleep(500); // the watch fills its queue and waits for room
      logrotate(conf);
      fs.appendFileSync(wtmp, records(10_000, 10_010));
      logrotate(conf);
      fs.appendFileSync(wtmp, records(10_010, 10_020));
      const onDisk = pidsIn(`${wtmp}.2`, `${wtmp}.1`, wtmp);
      expect(onDisk).toEqual(range(10000, 10020 + 10000));
      expect(pidsOf(await r.events(10_019, 30_000))).toEqual(onDisk.slice(1));
      expect(await r.within(500)).toEqual([]);
      expect(r.gaps).toEqual([]);
    } finally {
      await w.close();
    }
  }, 60_000);

  logrotateTest('a copytruncate right after appends not yet read (read offset 0): all 400, then what follows', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    const conf = logrotateConf(wtmp, 'copytruncate\n  nocompress');
    try {
      fs.appendFileSync(wtmp, records(0, 400));
      logrotate(conf);
      expect(fs.statSync(wtmp).size).toBe(0);
      fs.appendFileSync(wtmp, records(400, 405));
      const onDisk = pidsIn(`${wtmp}.1`, wtmp);
      expect(onDisk).toEqual(range(10000, 10405));
      expect(pidsOf(await r.events(405))).toEqual(onDisk);
      expect(await r.within(500)).toEqual([]);
    } finally {
      await w.close();
    }
  });

  logrotateTest('copytruncate with compress: records not read before the copy was compressed are a gap, never silence', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    const conf = logrotateConf(wtmp, 'copytruncate\n  compress');
    try {
      fs.appendFileSync(wtmp, records(0, 5));
      expect(pidsOf(await r.events(5))).toEqual(range(10000, 10005));
      fs.appendFileSync(wtmp, records(5, 8)); // not read: the watch is not woken before the rotation
      logrotate(conf);
      fs.appendFileSync(wtmp, records(8, 10));
      // The compressed copy holds the three the watch never read (the oracle: utmpdump of it).
      const copy = execFileSync('sh', ['-c', 'zcat "$1" | utmpdump 2>/dev/null', 'sh', `${wtmp}.1.gz`], { encoding: 'utf8' });
      expect(copy.split('\n').filter((l) => l.includes('[user')).length).toBe(8);
      expect(pidsOf(await r.events(2))).toEqual([10008, 10009]);
      expect(r.gaps).toHaveLength(1);
      expect(r.gaps[0]).toMatchObject({ type: 'gap', source: 'wtmp', path: wtmp });
      expect(r.gaps[0].bytes).toBeGreaterThanOrEqual(0);
      expect(r.gaps[0].time).toBeInstanceOf(Date);
      expect(r.gaps[0].message).toContain('truncated');
      expect(await r.within(500)).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe('truncated in place', () => {
  test.each([
    ['1,000 bytes (not a whole number of records)', 1000],
    ['768 bytes (two whole records)', 768],
    ['0 bytes', 0],
  ])('to %s, then appended: only the appended records, each once, and a gap', async (_name, size) => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    try {
      fs.appendFileSync(wtmp, records(0, 20));
      expect(pidsOf(await r.events(20))).toEqual(range(10000, 10020));
      execFileSync('truncate', ['-s', String(size), wtmp]);
      fs.appendFileSync(wtmp, records(20, 30));
      const events = await r.events(10);
      expect(pidsOf(events)).toEqual(range(10020, 10030));
      expect(events.every((e) => e.type === 'login' && e.time.getUTCFullYear() === 2024)).toBe(true);
      expect(r.gaps).toHaveLength(1);
      expect(r.gaps[0]).toMatchObject({ type: 'gap', path: wtmp, bytes: 0 });
      expect(r.gaps[0].message).toContain(`byte ${size}`);
      fs.appendFileSync(wtmp, records(30, 31));
      expect(pidsOf(await r.events(1))).toEqual([10030]);
      expect(await r.within(300)).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('truncated while the consumer lags, with records seen and not yet read: a gap that counts them', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const { w, r } = await watching(wtmp);
    try {
      fs.appendFileSync(wtmp, records(0, 10_000));
      expect(pidsOf(await r.events(1))).toEqual([10000]);
      await sleep(500); // the watch has seen all 10,000 and waits for room
      execFileSync('truncate', ['-s', '0', wtmp]);
      fs.appendFileSync(wtmp, records(10_000, 10_005));
      const pids = pidsOf(await r.events(1)) as number[];
      while (pids[pids.length - 1] !== 20004) pids.push(...(pidsOf(await r.events(1, 30_000)) as number[]));
      expect(pids.slice(-5)).toEqual(range(20000, 20005));
      expect(new Set(pids).size).toBe(pids.length);
      expect(r.gaps).toHaveLength(1);
      // What was in the file and not read is lost: the gap says how much, at least.
      const read = 1 + pids.length - 5;
      expect(r.gaps[0].bytes).toBe((10_000 - read) * 384);
    } finally {
      await w.close();
    }
  }, 60_000);
});

test('resumed from a position whose file was rotated and compressed meanwhile: a gap, then the new file', async () => {
  const wtmp = path.join(dir, 'wtmp');
  const { w, r } = await watching(wtmp);
  fs.appendFileSync(wtmp, records(0, 2));
  const [, second] = await r.events(2);
  await w.close();
  fs.appendFileSync(wtmp, records(2, 3));
  fs.renameSync(wtmp, `${wtmp}.1`);
  execFileSync('gzip', [`${wtmp}.1`]);
  fs.writeFileSync(wtmp, records(3, 4));
  const again = watch({ files: [wtmp], position: second.position });
  const r2 = new EventReader(again);
  try {
    expect(pidsOf(await r2.events(1))).toEqual([10003]);
    expect(r2.gaps).toHaveLength(1);
    expect(r2.gaps[0]).toMatchObject({ type: 'gap', path: wtmp });
  } finally {
    await again.close();
  }
});

test('a record torn at the end of a file renamed away, completed by its writer 1.5 s later: the record arrives, once', async () => {
  const wtmp = path.join(dir, 'wtmp');
  const { w, r } = await watching(wtmp);
  const torn = records(0, 1);
  const held = fs.openSync(wtmp, 'a'); // the writer opened it before the rotation
  try {
    fs.writeSync(held, torn.subarray(0, 100));
    expect(await r.within(300)).toEqual([]); // seen: part of a record
    fs.renameSync(wtmp, `${wtmp}.1`);
    fs.writeFileSync(wtmp, records(1, 2));
    expect(pidsOf(await r.events(1))).toEqual([10001]);
    await sleep(1500);
    fs.writeSync(held, torn.subarray(100));
    expect(pidsOf(await r.events(1))).toEqual([10000]);
    expect(await r.within(300)).toEqual([]);
    expect(r.gaps).toEqual([]);
  } finally {
    fs.closeSync(held);
    await w.close();
  }
});

utmpdumpTest('resumed after two create rotations while stopped: the old tail, the file made and rotated away meanwhile, then the new file', async () => {
  const wtmp = path.join(dir, 'wtmp');
  const { w, r } = await watching(wtmp);
  fs.appendFileSync(wtmp, records(0, 2));
  const [, second] = await r.events(2);
  await w.close();
  fs.appendFileSync(wtmp, records(2, 3));
  fs.renameSync(wtmp, `${wtmp}.1`);
  fs.writeFileSync(wtmp, records(3, 5));
  fs.renameSync(`${wtmp}.1`, `${wtmp}.2`);
  fs.renameSync(wtmp, `${wtmp}.1`);
  fs.writeFileSync(wtmp, records(5, 6));
  const again = watch({ files: [wtmp], position: JSON.stringify(second.position) });
  const r2 = new EventReader(again);
  try {
    expect(pidsOf(await r2.events(4))).toEqual(pidsIn(`${wtmp}.2`, `${wtmp}.1`, wtmp).slice(2));
    expect(await r2.within(300)).toEqual([]);
    expect(r2.gaps).toEqual([]);
  } finally {
    await again.close();
  }
});

test('a storm of 18 rotations, each file still being written (a torn record): 16 are held, the 2 let go are gaps, the rest complete', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const w = watch({ files: [wtmp], pollInterval: 100 });
  const r = new EventReader(w);
  const writers: number[] = [];
  const late = range(0, 18).map((i) => records(100 + i, 101 + i));
  try {
    for (let i = 0; i < 18; i++) {
      fs.appendFileSync(wtmp, records(i, i + 1));
      expect(pidsOf(await r.events(1))).toEqual([10000 + i]); // read, and so held once renamed
      writers.push(fs.openSync(wtmp, 'a'));
      fs.writeSync(writers[i], late[i].subarray(0, 100)); // a record begun: held until it is finished
      fs.renameSync(wtmp, `${wtmp}.${i + 1}`);
      fs.writeFileSync(wtmp, '');
    }
    fs.appendFileSync(wtmp, records(18, 19));
    expect(pidsOf(await r.events(1))).toEqual([10018]);
    for (let i = 0; i < 18; i++) fs.writeSync(writers[i], late[i].subarray(100));
    const finished = pidsOf(await r.events(16));
    expect([...finished].sort()).toEqual(range(10102, 10118));
    expect(r.gaps.map((g) => [g.path, g.bytes])).toEqual([[wtmp, 100], [wtmp, 100]]);
    expect(await r.within(500)).toEqual([]);
  } finally {
    for (const fd of writers) fs.closeSync(fd);
    await w.close();
  }
});
