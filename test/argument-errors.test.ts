/**
 * Argument errors carry a `code`, as Node's own do (issue 21): a RangeError
 * with ERR_OUT_OF_RANGE, else a TypeError with ERR_INVALID_ARG_TYPE,
 * ERR_INVALID_ARG_VALUE or ERR_INCOMPATIBLE_OPTION_PAIR. Node's own fs and
 * Buffer checks are the oracle for which class goes with which code.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LastlogFile, UtmpFile, sessions, sessionsAsync, users, watch } from '../lib';
import { tempDir } from './helpers/utmpdump';

let dir: string;
let cleanup: () => void;
let file: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-argument-errors-'));
  file = path.join(dir, 'empty');
  fs.writeFileSync(file, '');
});
afterAll(() => cleanup());

/** The error `f` throws (or its promise rejects with). */
async function thrown(f: () => unknown): Promise<Error & { code?: string }> {
  try {
    await f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('nothing was thrown');
}

/** The class Node itself gives an error of each code. */
const nodeClass: Record<string, string> = {};
beforeAll(async () => {
  for (const e of [
    await thrown(() => Buffer.alloc(-1)),
    await thrown(() => fs.readFileSync({} as unknown as string)),
    await thrown(() => fs.readFileSync('a\0b')),
  ]) nodeClass[e.code!] = e.constructor.name;
  nodeClass.ERR_INCOMPATIBLE_OPTION_PAIR = 'TypeError'; // Node's documented class (no public call makes it)
  expect(Object.keys(nodeClass).sort()).toEqual(['ERR_INCOMPATIBLE_OPTION_PAIR', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']);
});

const cases: [string, string, () => unknown][] = [
  ['LastlogFile#get(-1)', 'ERR_OUT_OF_RANGE', () => new LastlogFile(file).get(-1)],
  ['LastlogFile#get(1.5)', 'ERR_OUT_OF_RANGE', () => new LastlogFile(file).get(1.5)],
  ['LastlogFile#get(2 ** 32)', 'ERR_OUT_OF_RANGE', () => new LastlogFile(file).get(2 ** 32)],
  ['LastlogFile#getAsync(-1)', 'ERR_OUT_OF_RANGE', () => new LastlogFile(file).getAsync(-1)],
  ['LastlogFile#lookup(-1)', 'ERR_OUT_OF_RANGE', () => new LastlogFile(file).lookup(-1)],
  ['LastlogFile#get({})', 'ERR_INVALID_ARG_TYPE', () => new LastlogFile(file).get({} as unknown as number)],
  ['LastlogFile#get("a\\0b")', 'ERR_INVALID_ARG_VALUE', () => new LastlogFile(file).get('a\0b')],
  ['new LastlogFile("")', 'ERR_INVALID_ARG_VALUE', () => new LastlogFile('')],
  ['new LastlogFile(f, { source: "bogus" })', 'ERR_INVALID_ARG_VALUE', () => new LastlogFile(file, { source: 'bogus' as 'auto' })],
  ['new UtmpFile(42)', 'ERR_INVALID_ARG_TYPE', () => new UtmpFile(42 as unknown as string)],
  ['new UtmpFile("a\\0b")', 'ERR_INVALID_ARG_VALUE', () => new UtmpFile('a\0b')],
  ['new UtmpFile(f, { layout: "vax" })', 'ERR_INVALID_ARG_VALUE', () => new UtmpFile(file, { layout: 'vax' as never })],
  ['new UtmpFile(f, { source: "logind" })', 'ERR_INCOMPATIBLE_OPTION_PAIR', () => new UtmpFile(file, { source: 'logind' })],
  ['new UtmpFile(undefined, { stream: true })', 'ERR_INCOMPATIBLE_OPTION_PAIR', () => new UtmpFile(undefined, { stream: true })],
  ['sessions([])', 'ERR_INVALID_ARG_VALUE', () => [...sessions([])]],
  ['sessions(f, { source: "bogus" })', 'ERR_INVALID_ARG_VALUE', () => [...sessions(file, { source: 'bogus' as 'auto' })]],
  ['sessionsAsync(f, { newestFirst, stream })', 'ERR_INCOMPATIBLE_OPTION_PAIR', () => sessionsAsync(file, { newestFirst: true, stream: true })],
  ['users({ path, source: "logind" })', 'ERR_INCOMPATIBLE_OPTION_PAIR', () => users({ path: file, source: 'logind' })],
  ['new LastlogFile(f, { layout: "vax" })', 'ERR_INVALID_ARG_VALUE', () => new LastlogFile(file, { layout: 'vax' as 'auto' })],
  ['watch({ sources: ["bogus"] })', 'ERR_INVALID_ARG_VALUE', () => watch({ sources: ['bogus' as 'wtmp'] })],
  ['watch({ pollInterval: 1 })', 'ERR_OUT_OF_RANGE', () => watch({ pollInterval: 1 })],
  ['watch({ since: "x" })', 'ERR_INVALID_ARG_TYPE', () => watch({ since: 'x' as unknown as Date })],
];

test.each(cases)('%s: %s, of the class Node gives it', async (_name, code, call) => {
  const e = await thrown(call);
  expect(e.code).toBe(code);
  expect(e.constructor.name).toBe(nodeClass[code]);
  expect(e.message.length).toBeGreaterThan(10);
});
