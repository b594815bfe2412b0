/**
 * The CLI's output machinery on its own: the progress indicator (with a fake
 * terminal), stdout backpressure, the streamed JSON document, time parsing.
 */
import * as fs from 'fs';
import { Writable } from 'stream';
import { parseTime } from '../lib/cli/history';
import { LineWriter, RecordEmitter, toJson } from '../lib/cli/output';
import { PROGRESS_MIN_BYTES, Progress } from '../lib/cli/progress';
import { isoLocal } from '../lib/cli/time-format';
import { main } from '../lib/cli/main';
import { column, safe } from '../lib/cli/common';
import * as path from 'path';
import { tempDir, writeWithUtmpdump } from './helpers/utmpdump';

/** A stream that records what is written to it. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

describe('Progress', () => {
  // Draws are throttled by the clock, which is only read every 1024 records.
  function run(stream: ReturnType<typeof fakeStream>, total: number): void {
    let clock = 0;
    const p = new Progress(stream, 'btmp', total, () => clock);
    for (let done = 0; done < total; done += total / 8192) {
      clock += 1; // 1 ms a record
      p.update(done);
    }
    p.done();
  }

  test('on a terminal, a large file shows percentages on one line, then erases them', () => {
    const tty = fakeStream(true);
    run(tty, 2 * PROGRESS_MIN_BYTES);
    const draws = tty.writes.slice(0, -1);
    expect(draws.length).toBeGreaterThan(2);
    for (const d of draws) expect(d).toMatch(/^\rreading btmp: \d{1,3}%$/);
    const pcts = draws.map((d) => Number(/(\d+)%/.exec(d)![1]));
    expect(pcts).toEqual([...pcts].sort((a, b) => a - b));
    expect(tty.writes.at(-1)).toBe('\r\x1b[K');
  });

  test('nothing when stderr is not a terminal, or the file is small', () => {
    const pipe = fakeStream(false);
    run(pipe, 2 * PROGRESS_MIN_BYTES);
    expect(pipe.writes).toEqual([]);
    const small = fakeStream(true);
    run(small, PROGRESS_MIN_BYTES - 1);
    expect(small.writes).toEqual([]);
  });

  test('the CLI draws it on a terminal stderr only', async () => {
    const { dir, cleanup } = tempDir('utmpx-progress-');
    try {
      const file = writeWithUtmpdump(path.join(dir, 'btmp'), [
        { type: 6, pid: 1, id: '', user: 'root', line: 'ssh:notty', host: 'h', addr: '0.0.0.0', time: '2024-01-15T10:33:00,000000+00:00' },
      ]);
      // A sparse tail makes the file large without writing it; its zero records are still records.
      fs.truncateSync(file, PROGRESS_MIN_BYTES + 384 * 2048);
      // Each command that reads a whole file: lastb and last (table and JSON) backwards, dump forwards.
      for (const args of [['lastb', '-f', file, '-n', '1', 'root'], ['last', '-f', file], ['last', '-f', file, '--json'], ['dump', '-f', file, '--ndjson']]) {
        for (const [isTTY, drawn] of [[true, true], [false, false]] as const) {
          const err = fakeStream(isTTY);
          const out = new Writable({ write: (_c, _e, cb) => cb() });
          expect(await main(args, { out, err: err as unknown as NodeJS.WritableStream })).toBe(0);
          expect([args[0], err.writes.some((w) => w.startsWith('\rreading '))]).toEqual([args[0], drawn]);
        }
      }
    } finally {
      cleanup();
    }
  });
});

describe('output', () => {
  test('LineWriter waits for drain when the reader is slow, and loses nothing', async () => {
    const chunks: string[] = [];
    let pendingCallbacks: Array<() => void> = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, cb) {
        chunks.push(chunk.toString());
        pendingCallbacks.push(cb); // released later: the reader is slow
      },
    });
    const release = setInterval(() => {
      const cbs = pendingCallbacks;
      pendingCallbacks = [];
      for (const cb of cbs) cb();
    }, 1);
    let refused = 0; // writes that asked us to wait for 'drain'
    const write = slow.write.bind(slow) as (chunk: string) => boolean;
    slow.write = ((chunk: string) => {
      const ok = write(chunk);
      if (!ok) refused++;
      return ok;
    }) as typeof slow.write;
    try {
      const w = new LineWriter(slow);
      const line = 'x'.repeat(1000);
      for (let i = 0; i < 500; i++) {
        await w.line(line);
        // Nothing is released while we only await our own promises: without waiting
        // for 'drain' the queue would grow to the whole output (500 kB).
        expect(slow.writableLength).toBeLessThanOrEqual(70 * 1024);
      }
      await w.flush();
    } finally {
      clearInterval(release);
    }
    expect(refused).toBeGreaterThan(0);
    expect(chunks.join('')).toBe(('x'.repeat(1000) + '\n').repeat(500));
  });

  test('RecordEmitter --json writes one document, streamed', async () => {
    let text = '';
    const out = new Writable({ write: (c, _e, cb) => { text += c; cb(); } });
    const e = new RecordEmitter<{ n: number }>(out, 'json', () => '');
    for (let n = 0; n < 3; n++) await e.emit({ n });
    await e.end();
    expect(JSON.parse(text)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  test('toJson escapes what a terminal would act on and stays the same JSON value', () => {
    const s = 'a\x1b[2J\u009b31m\u202e\u007f\u200bz';
    const json = toJson({ s });
    expect(json).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(json)).toEqual({ s });
  });

  test('isoLocal gives local time with the offset', () => {
    const d = new Date(Date.UTC(2024, 0, 15, 9, 30, 5));
    const offset = -d.getTimezoneOffset();
    const local = new Date(d.getTime() + offset * 60000).toISOString().slice(0, 19);
    expect(isoLocal(d).slice(0, 19)).toBe(local);
    expect(Date.parse(isoLocal(d))).toBe(d.getTime());
  });
});

describe('parseTime', () => {
  const now = new Date(2024, 0, 15, 12, 34, 56);
  test.each([
    ['2024-01-10', new Date(2024, 0, 10)],
    ['2024-01-10 08:15', new Date(2024, 0, 10, 8, 15)],
    ['2024-01-10 08:15:30', new Date(2024, 0, 10, 8, 15, 30)],
    ['2024-01-10T08:15:30Z', new Date(Date.UTC(2024, 0, 10, 8, 15, 30))],
    ['today', new Date(2024, 0, 15)],
    ['yesterday', new Date(2024, 0, 14)],
    ['now', now],
    ['-2h', new Date(2024, 0, 15, 10, 34, 56)],
    ['-3days', new Date(2024, 0, 12, 12, 34, 56)],
    ['+5min', new Date(2024, 0, 15, 12, 39, 56)],
  ])('%s', (text, expected) => {
    expect(parseTime(text, now)).toBe(expected.getTime() / 1000);
  });

  test('nonsense is a usage error', () => {
    expect(() => parseTime('whenever', now)).toThrow(/invalid time/);
    expect(() => parseTime('-3 fortnights', now)).toThrow(/invalid time/);
  });
});

describe('escaping without a regex per string, cutting without an array per cell', () => {
  // The rule as a regex (as terminal.ts had it): the fast paths must agree with it everywhere.
  const RULE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\\]/gu;
  const byRule = (s: string) => s.replace(RULE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });

  test('escapeForTerminal escapes exactly what the rule does, for every BMP character and astral ones', () => {
    const differing: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      if (safe(s) !== byRule(s)) differing.push(c);
    }
    expect(differing).toEqual([]);
    for (const s of ['😀', 'x😀\u001b[31m😀', '\ud800', '\udc00x']) expect(safe(s)).toBe(byRule(s));
  });

  test('column cuts at code points (a surrogate pair is one) as [...s].slice(0, n) did', () => {
    const samples = ['', 'abc', 'a'.repeat(40), '😀'.repeat(10), 'x😀y\u001b[31m'.repeat(5), '\ud800abc', 'ab\udc00', 'é'.repeat(20)];
    for (const s of samples) {
      for (const n of [0, 1, 3, 8, 12, 16, 33]) expect(column(s, n)).toBe(byRule([...s].slice(0, n).join('')).padEnd(n));
    }
  });
});
