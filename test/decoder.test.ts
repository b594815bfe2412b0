/**
 * The decoder on damaged files, case by case: each kind of damage at a known
 * place, over more than one read chunk. The good records around it must come
 * back exactly as utmpdump reads them, and each problem must be reported once,
 * at its offset. Also the decoder's own shortcuts (interned strings, the
 * 64-bit reader) against the plain way of doing the same.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LAYOUTS, UtmpFile, type UtmpWarning } from '../lib';
import { decodeString } from '../lib/records/decoder';
import { addressText, devicePath } from '../lib/model/entry';
import { intReader } from '../lib/records/layouts';
import { syntheticRecords } from './helpers/reliability';
import { type DumpRecord, expectMatchesUtmpdump, readWithUtmpdump, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { have, testWith } from './helpers/tools';
/** goodDump's oracle: util-linux's utmpdump. */
const utmpdumpTest = testWith('utmpdump');

const RECORD = 384;
const layout = 'glibc-384-le' as const;

let dir: string;
let cleanup: () => void;
let good: Buffer;
let goodFile: string;
let goodDump: DumpRecord[]; // utmpdump's reading of goodFile
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-decoder-'));
  // 6,000 records: more than two 1 MiB read chunks.
  goodFile = writeWithUtmpdump(path.join(dir, 'good.wtmp'), syntheticRecords(6000));
  good = fs.readFileSync(goodFile);
  goodDump = have('utmpdump') ? readWithUtmpdump(goodFile) : [];
});
afterAll(() => cleanup());

const recordAt = (i: number) => Buffer.from(good.subarray(i * RECORD, (i + 1) * RECORD));

/** Reads `bytes` back, sync and async: the entries, the warnings, and that both ways agree. */
async function read(bytes: Buffer) {
  const file = path.join(dir, 'case.wtmp');
  fs.writeFileSync(file, bytes);
  const warnings: UtmpWarning[] = [];
  const reader = new UtmpFile(file, { layout, onWarning: (w) => warnings.push(w) });
  const entries = reader.toArray();
  const again = await new UtmpFile(file, { layout }).toArrayAsync();
  expect(JSON.stringify(again)).toBe(JSON.stringify(entries));
  return { entries, warnings, file };
}

utmpdumpTest('each kind of damage, at chunk boundaries and in between: good records intact, each problem reported at its offset', async () => {
  const perChunk = Math.floor((1 << 20) / RECORD); // records per read chunk
  const unknown = recordAt(10);
  unknown.writeInt16LE(42, 0);
  const zero = Buffer.alloc(RECORD);
  const garbage = recordAt(11);
  garbage.fill(0xff, 44, 44 + 32); // a user of 32 invalid bytes, no NUL
  garbage.fill(0, 76, 76 + 256).write('\x1b[31mred\x07', 76, 'latin1'); // control characters in the host
  // Where each bad record goes, by its index in the damaged file.
  const bad = new Map<number, [Buffer, string]>([
    [0, [zero, 'ZERO_RECORD']],
    [perChunk - 1, [unknown, 'UNKNOWN_TYPE']],
    [perChunk, [garbage, 'INVALID_UTF8']],
    [2 * perChunk + 7, [zero, 'ZERO_RECORD']],
  ]);
  const parts: Buffer[] = [];
  const goodIndex: number[] = []; // index in the good file of each record of the damaged one, -1 for bad
  for (let i = 0, g = 0; g < 6000; i++) {
    const b = bad.get(i);
    parts.push(b ? b[0] : recordAt(g));
    goodIndex.push(b ? -1 : g++);
  }
  parts.push(Buffer.from('stray')); // a torn tail
  const { entries, warnings, file } = await read(Buffer.concat(parts));

  expect(entries).toHaveLength(goodIndex.length);
  const kept = entries.filter((_, i) => goodIndex[i] >= 0);
  expectMatchesUtmpdump(kept, goodDump);
  expect(warnings.map((w) => [w.code, w.offset])).toEqual([
    ...[...bad].map(([i, [, code]]) => [code, i * RECORD]),
    ['TRAILING_BYTES', goodIndex.length * RECORD],
  ]);
  expect(warnings.every((w) => w.path === file)).toBe(true);
  const odd = entries[perChunk - 1];
  expect(odd).toMatchObject({ ut_type: 'UNKNOWN', ut_type_code: 42, ut_user: goodDump[10].user });
  const junk = entries[perChunk];
  expect(junk.ut_user).toBe('\uFFFD'.repeat(32));
  expect(junk.ut_host).toBe('\x1b[31mred\x07'); // kept as recorded; escaping is the printer's job
});

utmpdumpTest('strict mode: the records before the first problem come back, then the error', () => {
  const bytes = Buffer.concat([recordAt(0), recordAt(1), Buffer.alloc(RECORD), recordAt(2)]);
  const file = path.join(dir, 'strict.wtmp');
  fs.writeFileSync(file, bytes);
  const reader = new UtmpFile(file, { layout, strict: true });
  const seen: string[] = [];
  expect(() => {
    for (const e of reader) seen.push(e.ut_user);
  }).toThrow(expect.objectContaining({ code: 'ERR_UTMPX_BAD_RECORD', offset: 2 * RECORD }));
  expect(seen).toEqual([goodDump[0].user, goodDump[1].user]);
});

test('truncated anywhere in the last records: the whole ones come back, the rest is reported', async () => {
  const three = good.subarray(0, 3 * RECORD);
  const whole = new UtmpFile(goodFile, { layout }).toArray().slice(0, 3).map((e) => JSON.stringify(e));
  for (let cut = 0; cut <= three.length; cut += 29) {
    const { entries, warnings } = await read(three.subarray(0, cut));
    expect(entries.map((e) => JSON.stringify(e))).toEqual(whole.slice(0, Math.floor(cut / RECORD)));
    const tail = cut % RECORD;
    expect(warnings).toEqual(tail ? [expect.objectContaining({ code: 'TRAILING_BYTES', offset: cut - tail })] : []);
  }
});

test('async and sync steps mixed on one file, reads ahead in flight: every record once, in order', async () => {
  const all = new UtmpFile(goodFile, { layout }).toArray().map((e) => e.ut_pid);
  const file = new UtmpFile(goodFile, { layout });
  const steps = file[Symbol.asyncIterator]();
  const seen: (number | undefined)[] = [];
  // Past the first chunk (2,730 records): a sync step finds a read ahead running.
  for (let i = 0; i < 3000; i++) seen.push((i % 7 ? (await steps.next()).value : file.next().value)?.ut_pid);
  await steps.return!();
  for (const e of file) seen.push(e.ut_pid);
  expect(seen).toEqual(all);
});

test('a file of nothing but damage reads to its end', async () => {
  const noise = Buffer.alloc(RECORD * 50 + 17);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) & 255;
  const { entries, warnings } = await read(noise);
  expect(entries).toHaveLength(50);
  expect(warnings.at(-1)).toMatchObject({ code: 'TRAILING_BYTES', offset: 50 * RECORD });
});

utmpdumpTest('the address as text whatever the host says: the same text, another address of its length, its capitals', () => {
  // sshd records the address as the host, and the decoder then hands back the host as the address text:
  // only when the characters are the same. utmpdump writes the addresses and reads them back, the oracle.
  const rows: [string, string][] = [
    ['10.1.2.3', '10.1.2.3'],
    ['10.1.2.4', '10.1.2.5'],
    ['10.1.2.44', 'host-name'],
    ['2001:db8::abc', '2001:db8::abc'],
    ['2001:db8::abd', '2001:DB8::ABD'],
    ['2001:db8::abe', '2001:db8::abf'],
    ['2001:db8::abf', ''],
    // One host again and again (held by the string cache, which then remembers its address), then with other addresses.
    ...Array.from({ length: 4 }, (): [string, string] => ['10.9.8.7', '10.9.8.7']),
    ['10.9.8.6', '10.9.8.7'],
    ['10.9.8.7', '10.9.8.7'],
    ['2001:db8::10', '10.9.8.7'],
    ['0.0.0.0', '10.9.8.7'],
    ['10.9.8.7', '10.9.8.7'],
    // A host held with no address: the next record of no address has none either.
    ...Array.from({ length: 4 }, (): [string, string] => ['0.0.0.0', 'plain-host']),
    // A host held with its address, then its slot taken by a string of the same hash and length
    // (held after 64 misses): the newcomer does not inherit the address.
    ...Array.from({ length: 3 }, (): [string, string] => ['2001:db8::abcd', '2001:db8::abcd']),
    ...Array.from({ length: 70 }, (): [string, string] => ['0.0.0.0', '2001:db8;:abDd']),
    ['2001:db8::abcd', '2001:db8;:abDd'],
  ];
  const records = rows.map(([addr, host], i) => ({
    type: 7, pid: 100 + i, id: `s${i}`, user: 'alice', line: `pts/${i}`, host, addr, time: '2024-01-01T00:00:00,000000+00:00',
  }));
  const file = writeWithUtmpdump(path.join(dir, 'hosts.wtmp'), records);
  const entries = new UtmpFile(file, { layout }).toArray();
  // utmpdump prints no address as 0.0.0.0.
  expect(entries.map((e) => [e.address, e.ut_host])).toEqual(readWithUtmpdump(file).map((r) => [r.addr === '0.0.0.0' ? null : r.addr, r.host]));
  expect(entries.map((e) => e.address)).toEqual(rows.map(([addr]) => (addr === '0.0.0.0' ? null : addr)));
});

test('interned strings: every field decodes as the plain decoder would, whatever collides', () => {
  // 40,000 different strings through one cache of fewer slots (32,768).
  const buf = Buffer.alloc(256);
  const wrong: string[] = [];
  for (let i = 0; i < 40_000; i++) {
    const text = `${i % 7 ? 'pts/' : 'host-'}${(i * 2654435761) % 100_003}${'x'.repeat(i % 40)}`;
    buf.fill(0);
    buf.write(text, 0, 'latin1');
    buf.write('junk', text.length + 1, 'latin1'); // bytes after the NUL never count
    if (decodeString(buf, 0, 256) !== text) wrong.push(text);
    if (decodeString(buf, 0, 8) !== text.slice(0, 8)) wrong.push(text.slice(0, 8));
  }
  expect(wrong).toEqual([]);
});

test('a field read four bytes at a time: every NUL position, a high byte anywhere, aligned or not, as Buffer decodes it', () => {
  // decodeString reads aligned fields a word at a time: the NUL or a byte >= 0x80 may fall on any byte of a word.
  const backing = Buffer.alloc(4 + 64 + 8);
  const wrong: string[] = [];
  for (const shift of [0, 1, 2, 3]) {
    const buf = backing.subarray(shift); // byteOffset 0..3: the word path and the byte path
    for (const [start, size] of [[4, 32], [8, 4], [12, 16], [5, 12]]) {
      for (let length = 0; length <= size; length++) {
        for (let high = -1; high < length; high++) {
          buf.fill(0x7a); // junk that would count if the NUL were missed
          for (let i = 0; i < length; i++) buf[start + i] = 0x61 + ((length + i) % 26);
          if (high >= 0) buf[start + high] = 0xe9; // latin-1 é: not UTF-8 on its own
          if (length < size) buf[start + length] = 0;
          const expected = buf.toString('utf8', start, start + length);
          const got = decodeString(buf, start, size);
          if (got !== expected) wrong.push(`shift ${shift} at ${start}/${size} length ${length} high ${high}: ${JSON.stringify(got)}`);
        }
      }
    }
  }
  expect(wrong).toEqual([]);
});

test('interned strings that differ only in the bytes after their last whole word: never taken for each other', () => {
  // 'user' and one to three more characters: the first word is the same in all, the rest sits in the
  // masked last word. Each is read three times in a row (so it is held), and 30,000 of them share
  // the cache's slots: a string may meet one of its length held in its slot (an exact collision: the test of the same hash).
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let seed = 12345;
  const pick = () => chars[(seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % chars.length];
  const texts = Array.from({ length: 30_000 }, (_, i) => `user${pick()}${i % 3 ? pick() : ''}${i % 3 === 2 ? pick() : ''}`);
  const buf = Buffer.alloc(32);
  const wrong: string[] = [];
  for (const text of texts) {
    buf.fill(0x2a); // junk after the NUL
    buf.write(text, 0, 'latin1');
    buf[text.length] = 0;
    for (let k = 0; k < 3; k++) {
      const got = decodeString(buf, 0, 32);
      if (got !== text) wrong.push(`${text} read as ${got}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('interned strings of the same length and the same hash: never taken for each other', () => {
  // The hash is h * 31 + w over the field's words (aligned) or bytes (not): raising one word or byte
  // by 1 and lowering the next by 31 keeps it. The first string is read until it is surely held
  // (a held slot gives way after 64 misses), then its twin, short and beyond the copied bytes.
  const twins = (w: string) => w.slice(0, -8) + String.fromCharCode(w.charCodeAt(w.length - 8) + 1) + w.slice(-7, -4) +
    String.fromCharCode(w.charCodeAt(w.length - 4) - 31) + w.slice(-3);
  const wrong: string[] = [];
  for (const [text, shift, twin] of [
    ['abcdwxyz', 0, twins('abcdwxyz')],
    ['userabcdwxyz', 0, twins('userabcdwxyz')],
    [`${'h'.repeat(80)}abcdwxyz`, 0, twins(`${'h'.repeat(80)}abcdwxyz`)],
    ['abcdwxyz', 1, 'bCcdwxyz'], // byte at a time: 'a' + 1 and 'b' - 31
  ] as const) {
    const buf = Buffer.alloc(4 + 256).subarray(shift);
    const read = (s: string) => {
      buf.fill(0);
      buf.write(s, 4, 'latin1');
      return decodeString(buf, 4, 256);
    };
    for (let k = 0; k < 200; k++) if (read(text) !== text) wrong.push(`${text} read as ${read(text)}`);
    if (read(twin) !== twin) wrong.push(`${twin} (shift ${shift}) read as ${read(twin)}`);
  }
  expect(wrong).toEqual([]);
});

test('ut_line is the device path of line for every entry', () => {
  for (const e of new UtmpFile(goodFile, { layout }).toArray()) expect(e.ut_line).toBe(devicePath(e.line));
});

test('64-bit fields read as BigInt would, in both byte orders', () => {
  const buf = Buffer.alloc(8);
  const values = [0n, 1n, -1n, 2n ** 31n, 2n ** 32n + 5n, -(2n ** 40n), 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
  for (const le of [true, false]) {
    const read = intReader({ offset: 0, size: 8, signed: true }, le);
    for (const v of values) {
      if (le) buf.writeBigInt64LE(v);
      else buf.writeBigInt64BE(v);
      expect(read(buf, 0)).toBe(Number(v));
    }
  }
});

test('16- and 32-bit fields read as Buffer reads them, signed and unsigned, both byte orders', () => {
  const buf = Buffer.alloc(4);
  for (const bytes of [[0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff], [0x80, 0, 0, 0], [0, 0, 0, 0x80], [0x12, 0x34, 0x56, 0x78]]) {
    buf.set(bytes);
    for (const le of [true, false]) {
      expect(intReader({ offset: 0, size: 4, signed: true }, le)(buf, 0)).toBe(le ? buf.readInt32LE(0) : buf.readInt32BE(0));
      expect(intReader({ offset: 0, size: 4, signed: false }, le)(buf, 0)).toBe(le ? buf.readUInt32LE(0) : buf.readUInt32BE(0));
      expect(intReader({ offset: 0, size: 2, signed: true }, le)(buf, 0)).toBe(le ? buf.readInt16LE(0) : buf.readInt16BE(0));
      expect(intReader({ offset: 0, size: 2, signed: false }, le)(buf, 0)).toBe(le ? buf.readUInt16LE(0) : buf.readUInt16BE(0));
    }
  }
  expect(Object.keys(LAYOUTS)).toContain(layout);
});

describe('addressText', () => {
  // The WHATWG URL serializer writes IPv6 as RFC 5952 does (lowercase, no leading
  // zeros, the first longest run of two or more zero words as '::'): an oracle
  // independent of ours, over addresses dense in zero bytes and words. An IPv4
  // address inside IPv6 (::a.b.c.d, ::ffff:a.b.c.d) glibc writes with its dotted
  // quad, as URL does not: those are checked against utmpdump (test/cli-dump-bytes.test.ts).
  const ipv4Inside = (b: Buffer, at: number) => b.subarray(at, at + 10).every((x) => x === 0) &&
    ((b[at + 10] === 0 && b[at + 11] === 0 && (b[at + 12] | b[at + 13]) !== 0) || (b[at + 10] === 0xff && b[at + 11] === 0xff));
  test('IPv6 as URL writes it, IPv4 as its four bytes, over 20,000 seeded addresses', () => {
    let seed = 12345;
    const byte = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const r = seed >>> 16;
      return r % 3 === 0 ? 0 : r & 255;
    };
    const b = Buffer.alloc(20);
    for (let n = 0; n < 20000; n++) {
      for (let i = 2; i < 18; i++) b[i] = byte();
      if (n % 4 === 0) b.fill(0, 6, 18); // IPv4: only the first word set
      if (n % 5 === 0) for (let i = 2; i < 18; i += 2) if (byte() === 0) b[i] = b[i + 1] = 0; // zero words
      const tail = b.subarray(6, 18).some((x) => x !== 0);
      const head = b.subarray(2, 6).some((x) => x !== 0);
      const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 + 2 * i).toString(16));
      if (ipv4Inside(b, 2)) continue;
      const expected = tail ? new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1) : head ? Array.from(b.subarray(2, 6)).join('.') : null;
      expect(addressText(b, 2)).toBe(expected);
    }
  });

  test('an IPv4 address inside IPv6 as glibc\'s inet_ntop writes it (its outputs, recorded)', () => {
    const bytes = (...words: number[]) => Buffer.from(Uint16Array.from(words, (w) => ((w & 255) << 8) | (w >> 8)).buffer);
    const cases: [number[], string][] = [
      [[0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304], '::ffff:1.2.3.4'],
      [[0, 0, 0, 0, 0, 0, 0x0102, 0x0304], '::1.2.3.4'],
      [[0, 0, 0, 0, 0, 0, 1, 2], '::0.1.0.2'],
      [[0, 0, 0, 0, 0, 0xffff, 0, 0], '::ffff:0.0.0.0'],
      [[0, 0, 0, 0, 0, 0, 0, 0x0102], '::102'],
      [[0, 0, 0, 0, 1, 0xffff, 0x0102, 0x0304], '::1:ffff:102:304'],
      [[0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304], '::ffff:0:102:304'],
    ];
    expect(cases.map(([w]) => addressText(bytes(...w)))).toEqual(cases.map(([, text]) => text));
  });

  test('cached texts: addresses that differ in one word only, each read again and again, never taken for each other', () => {
    // 40,000 addresses per word (more than the cache has slots, so they share slots), all
    // other words fixed: a cache that let one word go unchecked would answer with a neighbour.
    const b = Buffer.alloc(16);
    const wrong: string[] = [];
    for (let word = 0; word < 4; word++) {
      for (let round = 0; round < 3; round++) {
        for (let n = 1; n <= 40_000; n++) {
          b.writeUInt32BE(0x20010db8, 0);
          b.writeUInt32BE(0, 4);
          b.writeUInt32BE(word === 0 ? 0 : 0x5, 8);
          b.writeUInt32BE(word === 0 ? 0 : 0x1, 12); // word 0 varied alone: IPv4
          b.writeUInt32BE((Math.imul(n, 2654435761) >>> 0) || 1, 4 * word);
          const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i).toString(16));
          const v4 = b.readUInt32BE(4) === 0 && b.readUInt32BE(8) === 0 && b.readUInt32BE(12) === 0;
          const expected = v4 ? Array.from(b.subarray(0, 4)).join('.') : new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1);
          for (let k = 0; k < 2; k++) if (addressText(b) !== expected) wrong.push(`${expected} read as ${addressText(b)}`);
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
