/**
 * 64-bit times a Date cannot hold (400-byte glibc layouts: tv_sec beyond
 * ±8.64e12 s, or a huge tv_usec): each is reported as a warning, the entry's
 * `date` stays a valid Date (the nearest one a Date can hold), and every
 * output of the CLI shows such records in a defined form: no NaN, no
 * undefined, and lastb lists them as last does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile, failedLogins, sessions } from '../lib';
import { utmpx } from './helpers/cli-run';
import { tempDir } from './helpers/utmpdump';

const GOOD = 1_700_000_000n;
/** [tv_sec, tv_usec] of each record; records 1-4 are out of a Date's range. */
const TIMES: [bigint, bigint][] = [
  [GOOD, 5n],
  [9_000_000_000_000n, 0n],
  [-9_000_000_000_000n, 0n],
  [GOOD, (1n << 63n) - 1n],
  [1n << 62n, 999_999n],
  [GOOD + 60n, 7n],
];

/** A glibc-400-le USER_PROCESS record on its own line. */
function record(i: number, sec: bigint, usec: bigint): Buffer {
  const b = Buffer.alloc(400);
  b.writeInt16LE(7, 0);
  b.writeInt32LE(100 + i, 4);
  b.write(`pts/${i}`, 8, 'latin1');
  b.write(`s${i}`, 40, 'latin1');
  b.write(`user${i}`, 44, 'latin1');
  b.write(`host${i}`, 76, 'latin1');
  b.writeBigInt64LE(sec, 344);
  b.writeBigInt64LE(usec, 352);
  b.writeUInt8(10, 360);
  b.writeUInt8(i, 363);
  return b;
}

let dir: string;
let cleanup: () => void;
let file: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, 'wtmp-400');
  fs.writeFileSync(file, Buffer.concat(TIMES.map(([s, u], i) => record(i, s, u))));
});
afterAll(() => cleanup());

test('each time out of range is a warning; every entry has a valid date', () => {
  const db = new UtmpFile(file, { layout: 'glibc-400-le' });
  const entries = db.toArray();
  expect(entries).toHaveLength(TIMES.length);
  expect(db.warnings.map((w) => [w.code, w.offset])).toEqual([1, 2, 3, 4].map((i) => ['TIME_OUT_OF_RANGE', i * 400]));
  for (const e of entries) {
    expect(Number.isNaN(e.date.getTime())).toBe(false);
    expect(() => e.date.toISOString()).not.toThrow();
    expect(Number.isFinite(e.ut_time)).toBe(true);
  }
  // In range: as recorded. Out of range: the nearest time a Date holds, on the side of the record's.
  expect(entries[0].date.getTime()).toBe(Number(GOOD) * 1000);
  expect(entries[1].date.getTime()).toBe(8.64e15);
  expect(entries[2].date.getTime()).toBe(-8.64e15);
  expect(entries[3].date.getTime()).toBe(8.64e15);
  expect(entries[5].date.getTime()).toBe(Number(GOOD + 60n) * 1000);
});

test('strict mode throws at the first such record', () => {
  expect(() => new UtmpFile(file, { layout: 'glibc-400-le', strict: true }).toArray()).toThrow(expect.objectContaining({ code: 'ERR_UTMPX_BAD_RECORD' }));
});

test('sessions and failedLogins keep every record', () => {
  expect([...failedLogins(file, { layout: 'glibc-400-le' })]).toHaveLength(TIMES.length);
  expect([...failedLogins(file, { layout: 'glibc-400-le', newestFirst: true })]).toHaveLength(TIMES.length);
  const logins = [...sessions(file, { layout: 'glibc-400-le' })].filter((s) => s.kind === 'login');
  expect(logins).toHaveLength(TIMES.length);
  for (const s of logins) expect(Number.isNaN(s.login.getTime())).toBe(false);
});

describe.each([
  ['dump', ['dump', '-f']],
  ['dump --json', ['dump', '--json', '-f']],
  ['last', ['last', '-f']],
  ['last --iso', ['last', '--iso', '-f']],
  ['last --json', ['last', '--json', '-f']],
  ['lastb', ['lastb', '-f']],
  ['lastb --json', ['lastb', '--json', '-f']],
])('utmpx %s', (_, args) => {
  test('a defined form for every record: no NaN, no undefined, none dropped', () => {
    const r = utmpx(...args, file);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/NaN|undefined|Invalid/);
    const out = r.stdout;
    for (let i = 0; i < TIMES.length; i++) expect(out).toContain(`user${i}`);
  });
});
