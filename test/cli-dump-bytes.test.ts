/**
 * `utmpx dump` prints a record straight from its bytes (LineFromBytes) where
 * nothing needs decoding, escaping or reporting, and from its entry
 * (writeDumpLine) otherwise. Both ways must print the same bytes and report
 * the same warnings for every input, under every layout: every byte value in
 * every string field, full fields with no NUL, UTF-8 a terminal may act on,
 * invalid UTF-8, unknown and EMPTY types, tv_usec outside 0-999,999, times no
 * Date holds, random records and random bytes. Then the CLI itself: a file
 * (read from the bytes) and the same bytes as a stream (entries only) print
 * the same; and util-linux's utmpdump prints what it prints.
 */
import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { LAYOUTS, UtmpFile, type LayoutName, type UtmpWarning } from '../lib';
import { LineFromBytes, dumpRecords, writeDumpLine } from '../lib/cli/dump';
import { LineWriter } from '../lib/cli/output';
import { Progress } from '../lib/cli/progress';
import type { BytesField, IntField, RecordLayout } from '../lib/records/layouts';
import { CLI, ORACLE_ENV } from './helpers/cli-run';
import { testWith } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-dump-bytes-')));
afterAll(() => cleanup());

let fileNo = 0;
function tempFile(bytes: Uint8Array): string {
  const file = path.join(dir, `case-${fileNo++}`);
  fs.writeFileSync(file, bytes);
  return file;
}

// ---------------------------------------------------------------- records, by layout

interface Fields {
  type?: number;
  pid?: number;
  id?: Uint8Array;
  user?: Uint8Array;
  line?: Uint8Array;
  host?: Uint8Array;
  sec?: bigint;
  usec?: number;
  addr?: Uint8Array;
  session?: number;
  termination?: number;
  exit?: number;
}

function putInt(b: Buffer, f: IntField | undefined, value: bigint, littleEndian: boolean): void {
  if (!f) return;
  let x = BigInt.asUintN(8 * f.size, value);
  for (let i = 0; i < f.size; i++) {
    b[f.offset + (littleEndian ? i : f.size - 1 - i)] = Number(x & 0xffn);
    x >>= 8n;
  }
}

function putBytes(b: Buffer, f: BytesField | undefined, bytes: Uint8Array | undefined): void {
  if (f && bytes) b.set(bytes.subarray(0, f.size), f.offset);
}

/** One record of `l`, a USER_PROCESS of plain ASCII unless `f` says otherwise. */
function record(l: RecordLayout, f: Fields = {}): Buffer {
  const b = Buffer.alloc(l.size);
  const le = l.littleEndian;
  putInt(b, l.type, BigInt(f.type ?? 7), le);
  putInt(b, l.pid, BigInt(f.pid ?? 4242), le);
  putBytes(b, l.id, f.id ?? Buffer.from('ts/1'));
  putBytes(b, l.user, f.user ?? Buffer.from('alice'));
  putBytes(b, l.line, f.line ?? Buffer.from('pts/1'));
  putBytes(b, l.host, f.host ?? Buffer.from('10.0.0.5'));
  putInt(b, l.sec, f.sec ?? 1705311000n, le);
  putInt(b, l.usec, BigInt(f.usec ?? 123456), le);
  putBytes(b, l.addr, f.addr ?? Buffer.from([10, 0, 0, 5]));
  putInt(b, l.session, BigInt(f.session ?? 77), le);
  putInt(b, l.exitTermination, BigInt(f.termination ?? 1), le);
  putInt(b, l.exitStatus, BigInt(f.exit ?? 2), le);
  return b;
}

const STRING_FIELDS = ['id', 'user', 'line', 'host'] as const;

// UTF-8 a terminal may act on or that is no UTF-8, and printable non-ASCII.
const SEQUENCES = [
  [0xc2, 0x80], [0xc2, 0x9b], [0xc2, 0x9f], [0xc2, 0xa0], [0xc3, 0xa9], [0xe2, 0x80, 0x8b], [0xe2, 0x80, 0xae],
  [0xe2, 0x81, 0xa6], [0xef, 0xbb, 0xbf], [0xef, 0xbf, 0xbd], [0xf0, 0x9f, 0x98, 0x80],
  [0xc3], [0xe2, 0x80], [0xff], [0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
];

/** Every hostile record this file knows of, in layout `l`. */
function hostileRecords(l: RecordLayout): Buffer[] {
  const out: Buffer[] = [];
  for (const field of STRING_FIELDS) {
    const size = l[field].size;
    for (let v = 1; v < 256; v++) {
      out.push(record(l, { [field]: Buffer.from([0x61, v, 0x62]) }));
      for (let k = 0; k < 4; k++) out.push(record(l, { [field]: Buffer.from('abcdefgh').fill(v, k, k + 1) })); // in a word with no NUL
      out.push(record(l, { [field]: Buffer.alloc(size, v) })); // the whole field, no NUL
    }
    for (const s of SEQUENCES) {
      out.push(record(l, { [field]: Buffer.from([0x61, ...s]) }));
      out.push(record(l, { [field]: Buffer.concat([Buffer.alloc(size - s.length + 1, 0x78), Buffer.from(s)]) })); // cut inside it
    }
    out.push(record(l, { [field]: Buffer.alloc(size, 0x78) }));
    out.push(record(l, { [field]: Buffer.from('ab\0\x1b[31mjunk') })); // junk after the NUL
    out.push(record(l, { [field]: Buffer.alloc(0) }));
  }
  for (const type of [-32768, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 100, 32767]) out.push(record(l, { type }));
  out.push(Buffer.alloc(l.size)); // all zero
  out.push(record(l, { type: 0, sec: 0n, usec: 0 }));
  for (const usec of [-2147483648, -1, 0, 999999, 1000000, 12345678, 2147483647]) out.push(record(l, { usec }));
  const secs = [0n, 1n, 86399n, 86400n, 951868799n, 2147483647n, 2147483648n, 4294967295n, 8639999999999n, 8640000000000n, 8640000000001n, -1n, -8640000000001n,
    9007199254740993n, -9007199254740993n, 9223372036854775807n, -9223372036854775808n];
  for (const sec of secs) for (const usec of [0, 999999]) out.push(record(l, { sec, usec }));
  for (const pid of [-2147483648, -1, 0, 1, 99999, 100000, 2147483647]) out.push(record(l, { pid }));
  const addrs = [[], [1, 2, 3, 4], [255, 255, 255, 255], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4],
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0xab, 0xcd], Array(16).fill(0xff)];
  for (const a of addrs) out.push(record(l, { addr: Buffer.from(a) }));
  for (const [session, termination, exit] of [[-1, -1, -1], [0, 0, 0], [2147483647, 32767, -32768]]) out.push(record(l, { session, termination, exit }));
  return out;
}

// ---------------------------------------------------------------- both ways

interface Printed { text: string; warnings: UtmpWarning[] }

async function print(file: string, layout: LayoutName, how: (db: UtmpFile, w: LineWriter) => Promise<void>): Promise<Printed> {
  const warnings: UtmpWarning[] = [];
  const db = new UtmpFile(file, { layout, onWarning: (w) => warnings.push(w) });
  const chunks: Buffer[] = [];
  const w = new LineWriter({ write: (b: Buffer) => chunks.push(Buffer.from(b)) > 0 } as unknown as NodeJS.WritableStream);
  try {
    await how(db, w);
    await w.flush();
  } finally {
    db.close();
  }
  return { text: Buffer.concat(chunks).toString('latin1'), warnings };
}

const noProgress = () => new Progress({ isTTY: false, write: () => true }, '', 0);

/** `file` printed as `utmpx dump` prints it (mostly from the bytes), and from its entries alone. */
async function bothWays(file: string, layout: LayoutName, extended: boolean): Promise<[Printed, Printed]> {
  const fromBytes = await print(file, layout, (db, w) => dumpRecords(db.recordRuns()!, w, extended, noProgress));
  const fromEntries = await print(file, layout, async (db, w) => {
    for (const u of db) {
      writeDumpLine(w, u, extended);
      await w.endLine();
    }
  });
  return [fromBytes, fromEntries];
}

// How many lines came from the bytes: each way must be tested.
let linesFromBytes = 0;
let linesFromEntries = 0;
beforeAll(() => {
  const write = LineFromBytes.prototype.write;
  jest.spyOn(LineFromBytes.prototype, 'write').mockImplementation(function (this: LineFromBytes, ...args) {
    const done = write.apply(this, args);
    if (done) linesFromBytes++;
    else linesFromEntries++;
    return done;
  });
});
afterAll(() => jest.restoreAllMocks());

describe.each(LAYOUT_NAMES)('%s', (name) => {
  const l = LAYOUTS[name];

  test.each([false, true])('hostile records (extended: %s): the same bytes and warnings both ways', async (extended) => {
    const before = [linesFromBytes, linesFromEntries];
    const records = hostileRecords(l);
    const [fromBytes, fromEntries] = await bothWays(tempFile(Buffer.concat(records)), name, extended);
    expect(fromBytes.text).toBe(fromEntries.text);
    expect(fromBytes.warnings).toEqual(fromEntries.warnings);
    expect(fromBytes.text.split('\n')).toHaveLength(records.length + 1);
    expect(new Set(fromBytes.warnings.map((w) => w.code))).toEqual(new Set(['UNKNOWN_TYPE', 'ZERO_RECORD', 'INVALID_UTF8', 'TIME_OUT_OF_RANGE']
      .filter((c) => c !== 'TIME_OUT_OF_RANGE' || l.sec.size === 8)));
    // Both ways were taken, many times each.
    expect(linesFromBytes - before[0]).toBeGreaterThan(100);
    expect(linesFromEntries - before[1]).toBeGreaterThan(1000);
  });

  test('random records and a torn tail: the same bytes and warnings both ways', async () => {
    const plain = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((a) => Uint8Array.from(a, (x) => 0x20 + (x % 0x5f)));
    const bytes = fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) });
    const fields = fc.record({
      type: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: -32768, max: 32767 })),
      pid: fc.integer({ min: -2147483648, max: 2147483647 }),
      id: bytes, user: bytes, line: bytes, host: bytes,
      sec: fc.oneof(fc.bigInt({ min: 0n, max: 4294967295n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
      usec: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 999999 }) }, { weight: 1, arbitrary: fc.integer({ min: -2147483648, max: 2147483647 }) }),
      addr: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => (a[0] & 1 ? a.fill(0, 4) : a)),
      session: fc.integer({ min: -2147483648, max: 2147483647 }),
      termination: fc.integer({ min: -32768, max: 32767 }),
      exit: fc.integer({ min: -32768, max: 32767 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(fields, { maxLength: 8 }), fc.uint8Array({ maxLength: l.size - 1 }), fc.boolean(), async (list, tail, extended) => {
      const file = tempFile(Buffer.concat([...list.map((f) => record(l, f)), tail]));
      const [fromBytes, fromEntries] = await bothWays(file, name, extended);
      expect(fromBytes.text).toBe(fromEntries.text);
      expect(fromBytes.warnings).toEqual(fromEntries.warnings);
    }), { numRuns: RUNS });
  });

  test('5,000 random times, any tv_sec: the same bytes both ways', async () => {
    const time = fc.record({
      sec: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 31n }), fc.bigInt({ min: 0n, max: 2n ** 32n }), fc.bigInt({ min: -(2n ** 45n), max: 2n ** 45n })),
      usec: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(0, 999999, 500000, 1) }, { weight: 91, arbitrary: fc.integer({ min: 0, max: 999999 }) }),
    });
    const records = fc.sample(time, 5000).map((t) => record(l, t));
    const [fromBytes, fromEntries] = await bothWays(tempFile(Buffer.concat(records)), name, false);
    expect(fromBytes.text).toBe(fromEntries.text);
  });

  test('random bytes: the same bytes and warnings both ways', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3 * l.size + 7 }), async (bytes) => {
      const [fromBytes, fromEntries] = await bothWays(tempFile(bytes), name, false);
      expect(fromBytes.text).toBe(fromEntries.text);
      expect(fromBytes.warnings).toEqual(fromEntries.warnings);
    }), { numRuns: RUNS });
  });
});

test('LineWriter.plainBytes takes a field exactly when every byte before its NUL is printable ASCII but the backslash and brackets: every pair of byte values, everywhere in a word', () => {
  const plain = (c: number) => c >= 0x20 && c <= 0x7e && c !== 0x5c && c !== 0x5b && c !== 0x5d;
  const w = new LineWriter({ write: () => true } as unknown as NodeJS.WritableStream);
  const field = Buffer.alloc(16);
  const wrong: string[] = [];
  for (let k = 0; k < 7; k++) {
    for (let a = 1; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        field.fill(0x61, 0, 8);
        field[k] = a;
        field[k + 1] = b;
        const end = field.indexOf(0);
        const expected = [...field.subarray(0, end < 0 || end > 8 ? 8 : end)].every(plain);
        const at = w.position;
        if (w.plainBytes(field, 0, 8, 8) !== expected) wrong.push(`${k}: ${a} ${b}`);
        w.backTo(at);
      }
    }
  }
  expect(wrong).toEqual([]);
});

// ---------------------------------------------------------------- the CLI

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'dump', ...args], { env: ORACLE_ENV, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

// The same bytes through a pipe (bash's `<(cat FILE)`): read as a stream, a line from each entry.
function cliFromPipe(args: string[], file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', '"$0" "$1" dump "${@:3}" <(cat "$2")', process.execPath, CLI, file, ...args], { env: ORACLE_ENV, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1').replace(/\/dev\/fd\/\d+/g, file) };
}

test.each([[[]], [['--extended']], [['--strict']]])('utmpx dump %j: a file (from the bytes) prints what the same bytes through a pipe print (from entries)', (args) => {
  const file = tempFile(Buffer.concat([...hostileRecords(LAYOUTS['glibc-384-le']), Buffer.from('torn')]));
  const fromFile = cli([...args, file]);
  const fromPipe = cliFromPipe(args, file);
  expect(fromFile.stdout).toBe(fromPipe.stdout);
  expect(fromFile.stderr).toBe(fromPipe.stderr);
  expect(fromFile.status).toBe(fromPipe.status);
  expect(fromFile.stderr).toMatch(/problems in the file's records/);
});

test('stdout a file (its buffer written again after each flush) gets the bytes a pipe gets', () => {
  const file = tempFile(Buffer.concat(Array.from({ length: 4000 }, (_, i) => record(LAYOUTS['glibc-384-le'], { pid: i, sec: BigInt(1705311000 + i) }))));
  const out = path.join(dir, 'stdout');
  const r = spawnSync('bash', ['-c', '"$0" "$1" dump "$2" > "$3"', process.execPath, CLI, file, out], { env: ORACLE_ENV });
  expect(r.status).toBe(0);
  const piped = cli([file]).stdout;
  expect(piped.split('\n')).toHaveLength(4001);
  expect(fs.readFileSync(out, 'latin1')).toBe(piped);
});

test('a stream that keeps the chunks it is given (not stdout) gets each flush in a buffer of its own', async () => {
  const kept: Buffer[] = [];
  const w = new LineWriter({ write: (b: Buffer) => kept.push(b) > 0, writableLength: 0 } as unknown as NodeJS.WritableStream);
  const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(i % 90)}`);
  for (const line of lines) await w.line(line);
  await w.flush();
  expect(kept.length).toBeGreaterThan(2);
  expect(Buffer.concat(kept).toString()).toBe(lines.map((l) => l + '\n').join(''));
});

testWith('utmpdump')('utmpdump -r reads utmpx dump back field by field where a string holds [ or ] (each written \\x5b, \\x5d)', () => {
  const l = LAYOUTS['glibc-384-le'];
  const given = [
    { id: ']', user: 'us]er', line: 'pts/1', host: 'h[o]st', pid: 11, sec: 1705311000n, addr: Buffer.from([10, 0, 0, 1]) },
    { id: '[', user: '[root]', line: 'tty]', host: ']', pid: 12, sec: 1705311060n, addr: Buffer.from([192, 0, 2, 7]) },
    { id: 'x', user: 'plain', line: 'pts/2', host: 'example.org', pid: 13, sec: 1705311120n, addr: Buffer.alloc(0) },
  ];
  const file = tempFile(Buffer.concat(given.map((f) => record(l, {
    type: 7, pid: f.pid, sec: f.sec, usec: 5, addr: f.addr,
    id: Buffer.from(f.id), user: Buffer.from(f.user), line: Buffer.from(f.line), host: Buffer.from(f.host),
  }))));
  const dumped = cli([file]);
  expect(dumped.status).toBe(0);
  const restored = path.join(dir, 'restored');
  const r = spawnSync('utmpdump', ['-r', '-o', restored], { input: dumped.stdout, env: ORACLE_ENV });
  expect(r.status).toBe(0);
  const back = [...new UtmpFile(restored)];
  const escaped = (s: string) => s.replace(/\[/g, '\\x5b').replace(/\]/g, '\\x5d');
  expect(back.map((e) => [e.ut_type, e.ut_pid, e.ut_id, e.ut_user, e.line, e.ut_host, e.address, e.ut_time])).toEqual(given.map((f) => [
    // utmpdump -r keeps an id's spaces (an id may hold them): it comes back padded to its 4 bytes.
    'USER_PROCESS', f.pid, escaped(f.id).padEnd(4), escaped(f.user), escaped(f.line), escaped(f.host),
    f.addr.length ? [...f.addr].join('.') : null, Number(f.sec) + 5e-6,
  ]));
});

testWith('utmpdump')('utmpx dump prints what utmpdump prints, over 3,000 random records of printable ASCII', () => {
  const host = LAYOUTS['glibc-384-le'];
  // Where the two differ on purpose, left out: utmpdump shows a backslash as it is (we escape it), and
  // `[` `]` as `?`; util-linux 2.38 reads tv_sec signed (glibc 2.40 declares it unsigned, as we read it).
  const text = fc.uint8Array({ maxLength: 260 }).map((a) => Uint8Array.from(a, (x) => {
    const c = 0x20 + (x % 0x5f);
    return c === 0x5c || c === 0x5b || c === 0x5d ? 0x2f : c;
  }));
  // IPv4 (one word), IPv6 with runs of zero words, and IPv4 inside IPv6 (::a.b.c.d, ::ffff:a.b.c.d, ::ffff:0.0.0.0).
  const addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => {
    if (a[0] & 1) return a.fill(0, 4);
    if (a[0] & 2) return a.fill(0, 2, 8);
    if (a[1] % 8 === 0) return a.fill(0, 0, 12);
    if (a[1] % 8 === 1) return a.fill(0, 0, 10).fill(0xff, 10, 12);
    if (a[1] % 8 === 2) return a.fill(0, 0, 10).fill(0xff, 10, 12).fill(0, 12);
    return a;
  }).filter((a) => a.some((x) => x !== 0));
  const fields = fc.record({
    type: fc.integer({ min: 1, max: 9 }), pid: fc.integer({ min: 0, max: 2147483647 }),
    id: text, user: text, line: text, host: text,
    sec: fc.bigInt({ min: 0n, max: 2147483647n }), usec: fc.integer({ min: 0, max: 999999 }), addr,
  });
  const file = tempFile(Buffer.concat(fc.sample(fields, { numRuns: 3000, seed: 18 }).map((f) => record(host, f))));
  const ours = cli([file]);
  expect(ours.stderr).toBe('');
  expect(ours.stdout).toBe(spawnSync('utmpdump', [file], { env: ORACLE_ENV, maxBuffer: 1 << 28 }).stdout.toString('latin1'));
  expect(ours.stdout.split('\n')).toHaveLength(3001);
});
