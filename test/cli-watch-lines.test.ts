/**
 * `utmpx watch --ndjson` / `--format ecs` write whole lines: a shipper that
 * tails the output file (polling its size, reading to its end) never has
 * to parse half a line, and a stdout that pushes back (a full pipe) gets
 * each write as whole lines, during a burst of thousands of appends.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { watch as watchCommand } from '../lib/cli/watch';
import { CLI, ORACLE_ENV } from './helpers/cli-run';
import { testWith } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';
import { appendWithUtmpdump, loginRecord, logoutRecord } from './helpers/watch';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-watch-lines-')));
afterEach(() => cleanup());

const BURST = 3000;
/** The burst, as logins and logouts in a few appends by another process. */
function appendBurst(wtmp: string): void {
  for (let i = 0; i < BURST; i += 500) {
    const batch = [];
    for (let j = i; j < i + 500; j += 2) batch.push(loginRecord(j), logoutRecord(j));
    appendWithUtmpdump(wtmp, batch);
  }
}

/**
 * Tails `file` as Filebeat and rsyslog's imfile do: polls its size, reads
 * from where it stopped to the end, keeps a partial line until its end
 * arrives. Every whole line must parse. Resolves once `n` lines were read.
 */
function tail(file: string, n: number, ms = 60_000): Promise<{ lines: unknown[]; partialReads: number }> {
  return new Promise((resolve, reject) => {
    const lines: unknown[] = [];
    let offset = 0;
    let pending = '';
    let partialReads = 0;
    const deadline = Date.now() + ms;
    const buf = Buffer.alloc(1 << 20);
    const timer = setInterval(() => {
      try {
        if (!fs.existsSync(file)) return;
        const fd = fs.openSync(file, 'r');
        try {
          for (;;) {
            const got = fs.readSync(fd, buf, 0, buf.length, offset);
            if (got === 0) break;
            offset += got;
            const text = pending + buf.toString('utf8', 0, got);
            const end = text.lastIndexOf('\n');
            if (end !== text.length - 1) partialReads++;
            pending = text.slice(end + 1);
            for (const line of text.slice(0, end + 1).split('\n').slice(0, -1)) lines.push(JSON.parse(line));
          }
        } finally {
          fs.closeSync(fd);
        }
        if (lines.length >= n) {
          clearInterval(timer);
          resolve({ lines, partialReads });
        } else if (Date.now() > deadline) {
          clearInterval(timer);
          reject(new Error(`only ${lines.length} of ${n} lines within ${ms} ms`));
        }
      } catch (err) {
        clearInterval(timer);
        reject(err);
      }
    }, 5);
  });
}

describe.each(['--ndjson', '--format=ecs'])('%s', (format) => {
  testWith('utmpdump')('to a file tailed as shippers tail it: every line whole and parsed, each event once, in order', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const out = path.join(dir, 'events.log');
    fs.writeFileSync(wtmp, '');
    const fd = fs.openSync(out, 'a'); // O_APPEND, as a shell's >> and logrotate's copytruncate want
    const child = spawn(process.execPath, [CLI, 'watch', format, '-f', wtmp, '-f', path.join(dir, 'missing-btmp')], { env: ORACLE_ENV, stdio: ['ignore', fd, 'pipe'] });
    fs.closeSync(fd);
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      for (const deadline = Date.now() + 10_000; !err.includes('ENOENT');) {
        if (Date.now() > deadline) throw new Error(`the watch did not start: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const reading = tail(out, BURST);
      appendBurst(wtmp);
      const { lines } = await reading;
      expect(lines).toHaveLength(BURST);
      const pids = lines.map((l) => (format === '--ndjson' ? (l as { pid: number }).pid : (l as { process: { pid: number } }).process.pid));
      expect(pids).toEqual(Array.from({ length: BURST }, (_, i) => 10000 + (i & ~1)));
      expect(fs.readFileSync(out, 'utf8').endsWith('\n')).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

testWith('utmpdump')('a stdout that pushes back (a full pipe): each write is whole lines, none split, none lost', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const chunks: string[] = [];
  // A pipe that is always full: every write asks the writer to wait for 'drain'.
  const out = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      setTimeout(done, chunks.length % 50 === 0 ? 20 : 0);
    },
  });
  let err = '';
  const io = { out, err: new Writable({ write(c: Buffer, _e, done) { err += c; done(); } }) };
  const running = watchCommand.run(['--format', 'ecs', '-f', wtmp, '-f', path.join(dir, 'missing-btmp')], io);
  try {
    for (const deadline = Date.now() + 10_000; !err.includes('ENOENT');) {
      if (Date.now() > deadline) throw new Error(`the watch did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    appendBurst(wtmp);
    for (const deadline = Date.now() + 60_000; chunks.join('').split('\n').length - 1 < BURST;) {
      if (Date.now() > deadline) throw new Error(`only ${chunks.join('').split('\n').length - 1} lines`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    process.emit('SIGTERM'); // the command's own handler stops it (no signal is sent)
    expect(await running).toBe(0);
  }
  expect(chunks.every((c) => c.endsWith('\n'))).toBe(true);
  const lines = chunks.join('').split('\n').slice(0, -1);
  expect(lines).toHaveLength(BURST);
  for (const line of lines) expect(JSON.parse(line)['@timestamp']).toMatch(/^\d{4}-/);
});
