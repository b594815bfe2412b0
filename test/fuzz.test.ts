/**
 * Hostile input, property-based (fast-check): random bytes, truncations, bit
 * flips and garbage records spliced between good ones (written by
 * `utmpdump -r`), fed to the decoder under every layout and to the native
 * readers (utmp through libc, lastlog). Only documented errors and warnings
 * may come out, nothing may hang, the good records must come back unchanged,
 * and no string may be longer than its field.
 */
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import {
  LAYOUTS, LastlogFile, UtmpFile, UtmpRecordError, type LayoutName, type RecordLayout, type UtmpEntry,
} from '../lib';
import { LASTLOG_RECORD } from './helpers/lastlog';
import { syntheticRecords } from './helpers/reliability';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const WARNING_CODES = new Set(['TRAILING_BYTES', 'UNKNOWN_TYPE', 'ZERO_RECORD', 'INVALID_UTF8']);
const HOST = 'glibc-384-le' as const;
const RECORD = 384;

let dir: string;
let cleanup: () => void;
let good: Buffer; // records written by utmpdump -r
let goodEntries: string[]; // their entries, as JSON
let cases = 0;
const counts = new Map<string, number>();

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  const file = writeWithUtmpdump(path.join(dir, 'good.utmp'), [...richFixture(), ...syntheticRecords(16)]);
  good = fs.readFileSync(file);
  goodEntries = new UtmpFile(file, { layout: HOST }).toArray().map((e) => JSON.stringify(e));
});
afterAll(() => {
  cleanup();
  console.log(`fuzz: ${cases} cases run (${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')})`);
});

function count(what: string): void {
  cases++;
  counts.set(what, (counts.get(what) ?? 0) + 1);
}

let fileNo = 0;
function tempFile(bytes: Uint8Array): string {
  const file = path.join(dir, `case-${fileNo++}`);
  fs.writeFileSync(file, bytes);
  return file;
}

/**
 * UTF-8 bytes of a decoded string, each U+FFFD counted as one byte: the least
 * it can have replaced. Every other character came from that many bytes of
 * the field, so this can never exceed the field's size.
 */
function sourceBytes(s: string): number {
  return Buffer.byteLength(s.replace(/\uFFFD/g, '?'), 'utf8');
}

function expectBounded(s: string, size: number): void {
  expect(typeof s).toBe('string');
  expect(s.includes('\0')).toBe(false);
  expect(sourceBytes(s)).toBeLessThanOrEqual(size);
}

function expectSaneEntry(e: UtmpEntry, layout: RecordLayout): void {
  expectBounded(e.ut_user, layout.user.size);
  expectBounded(e.line, layout.line.size);
  expectBounded(e.ut_host, layout.host.size);
  expectBounded(e.ut_id ?? '', layout.id.size);
  expect(Number.isFinite(e.ut_time)).toBe(true);
  expect(Number.isNaN(e.date.getTime())).toBe(false);
  expect(Number.isInteger(e.ut_pid)).toBe(true);
  expect(typeof e.ut_type).toBe('string');
}

/** Reads `file` with the decoder (sync or async): entries and warning codes; only documented ones allowed. */
async function decode(file: string, layout: LayoutName | 'auto', async: boolean): Promise<{ entries: UtmpEntry[]; codes: string[]; reader: UtmpFile }> {
  const codes: string[] = [];
  const reader = new UtmpFile(file, { source: 'decoder', layout, onWarning: (w) => codes.push(w.code) });
  const entries = async ? await reader.toArrayAsync() : reader.toArray();
  for (const c of codes) expect(WARNING_CODES).toContain(c);
  return { entries, codes, reader };
}

const layoutNames = Object.keys(LAYOUTS) as LayoutName[];

describe('the decoder on random bytes, every layout', () => {
  test.each([...layoutNames, 'auto' as const])('%s: whole records only, bounded strings, documented warnings', async (name) => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 3 * 628 + 50 }), fc.boolean(), async (bytes, async) => {
      count('decoder random bytes');
      const file = tempFile(bytes);
      const { entries, codes, reader } = await decode(file, name, async);
      const layout = LAYOUTS[reader.layout ?? HOST];
      expect(entries).toHaveLength(Math.floor(bytes.length / layout.size));
      expect(reader.trailingBytes).toBe(bytes.length % layout.size);
      expect(codes.includes('TRAILING_BYTES')).toBe(bytes.length % layout.size > 0);
      for (const e of entries) expectSaneEntry(e, layout);
    }), { numRuns: RUNS });
  });

  test('strict mode throws only UtmpRecordError (ERR_UTMPX_BAD_RECORD)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 4 * RECORD }), (bytes) => {
      count('decoder strict');
      try {
        new UtmpFile(tempFile(bytes), { source: 'decoder', layout: HOST, strict: true }).toArray();
      } catch (err) {
        expect(err).toBeInstanceOf(UtmpRecordError);
        expect((err as UtmpRecordError).code).toBe('ERR_UTMPX_BAD_RECORD');
      }
    }), { numRuns: RUNS });
  });
});

/** Good records with garbage records spliced in at random places: [file bytes, index of each good record in it]. */
const spliced = fc.array(fc.tuple(fc.nat({ max: 40 }), fc.uint8Array({ minLength: RECORD, maxLength: RECORD })), { maxLength: 12 })
  .map((garbage) => {
    const parts: Buffer[] = [];
    const where: number[] = [];
    const total = good.length / RECORD;
    for (let i = 0; i < total; i++) {
      for (const [at, bytes] of garbage) if (at === i) parts.push(Buffer.from(bytes));
      where.push(parts.length);
      parts.push(good.subarray(i * RECORD, (i + 1) * RECORD));
    }
    for (const [at, bytes] of garbage) if (at >= total) parts.push(Buffer.from(bytes));
    return { bytes: Buffer.concat(parts), where };
  });

describe.each(['decoder', 'libc'] as const)('%s: good records around bad ones', (source) => {
  const read = async (file: string, async: boolean) => {
    if (source === 'decoder') return (await decode(file, HOST, async)).entries;
    const reader = new UtmpFile(file, { source: 'libc' });
    return async ? reader.toArrayAsync() : reader.toArray();
  };

  test('garbage records spliced between good ones: every good record comes back identical', async () => {
    await fc.assert(fc.asyncProperty(spliced, fc.boolean(), async ({ bytes, where }, async) => {
      count(`${source} spliced garbage`);
      const entries = await read(tempFile(bytes), async);
      expect(entries).toHaveLength(bytes.length / RECORD);
      where.forEach((at, i) => expect(JSON.stringify(entries[at])).toBe(goodEntries[i]));
      for (const e of entries) expectSaneEntry(e, LAYOUTS[HOST]);
    }), { numRuns: RUNS });
  });

  test('truncated anywhere: the whole records before the cut come back, the rest is trailing bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: good.length }), fc.boolean(), async (cut, async) => {
      count(`${source} truncation`);
      const file = tempFile(good.subarray(0, cut));
      const entries = await read(file, async);
      expect(entries.map((e) => JSON.stringify(e))).toEqual(goodEntries.slice(0, Math.floor(cut / RECORD)));
    }), { numRuns: RUNS });
  });

  test('bit flips: records no flip touched come back identical, the others stay sane', async () => {
    const flips = fc.array(fc.nat({ max: good.length * 8 - 1 }), { minLength: 1, maxLength: 24 });
    await fc.assert(fc.asyncProperty(flips, fc.boolean(), async (bits, async) => {
      count(`${source} bit flips`);
      const bytes = Buffer.from(good);
      for (const bit of bits) bytes[bit >> 3] ^= 1 << (bit & 7);
      const touched = new Set(bits.map((bit) => Math.floor((bit >> 3) / RECORD)));
      const entries = await read(tempFile(bytes), async);
      expect(entries).toHaveLength(goodEntries.length);
      entries.forEach((e, i) => {
        if (!touched.has(i)) expect(JSON.stringify(e)).toBe(goodEntries[i]);
        expectSaneEntry(e, LAYOUTS[HOST]);
      });
    }), { numRuns: RUNS });
  });

  test('random bytes: nothing but entries and documented errors', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 6 * RECORD }), fc.boolean(), async (bytes, async) => {
      count(`${source} random bytes`);
      const entries = await read(tempFile(bytes), async);
      expect(entries).toHaveLength(Math.floor(bytes.length / RECORD));
      for (const e of entries) expectSaneEntry(e, LAYOUTS[HOST]);
    }), { numRuns: RUNS });
  });
});

describe('the native lastlog reader on random bytes', () => {
  test('entries only for whole records, bounded strings, get(uid) agrees with the scan', async () => {
    const arb = fc.tuple(
      fc.uint8Array({ minLength: 0, maxLength: 5 * LASTLOG_RECORD + 40 }),
      fc.array(fc.tuple(fc.nat({ max: 4 }), fc.constantFrom(0, 0xff)), { maxLength: 3 }),
      fc.boolean(),
    );
    await fc.assert(fc.asyncProperty(arb, async ([random, blanks, async]) => {
      count('lastlog random bytes');
      // Blank out some records (all 0x00 = never logged in, or 0xff) to mix empty and full slots.
      const bytes = Buffer.from(random);
      for (const [i, fill] of blanks) bytes.fill(fill, Math.min(i * LASTLOG_RECORD, bytes.length), Math.min((i + 1) * LASTLOG_RECORD, bytes.length));
      const file = tempFile(bytes);
      const codes: string[] = [];
      const ll = new LastlogFile(file, { resolveUsers: false, onWarning: (w) => codes.push(w.code) });
      const entries = async ? await ll.toArrayAsync() : ll.toArray();
      for (const c of codes) expect(c).toBe('TRAILING_BYTES');
      expect(codes.length > 0).toBe(bytes.length % LASTLOG_RECORD > 0);
      expect(entries.length).toBeLessThanOrEqual(Math.floor(bytes.length / LASTLOG_RECORD));
      for (const e of entries) {
        expect(Number.isInteger(e.uid)).toBe(true);
        expect(e.uid!).toBeLessThan(Math.floor(bytes.length / LASTLOG_RECORD));
        expectBounded(e.line, 32);
        expectBounded(e.host, 256);
        expect(Number.isFinite(e.time)).toBe(true);
        const direct = new LastlogFile(file, { resolveUsers: false }).get(e.uid!);
        expect(direct && { ...direct, user: null }).toEqual({ ...e, user: null });
      }
    }), { numRuns: RUNS });
  });
});
