/**
 * Pipes, stdin, FIFOs named as stream input, and compressed rotated logs:
 * files written by `utmpdump -r`, compressed by gzip/zstd/xz and by
 * logrotate, read through real pipes (spawned processes, bash's `<(...)`),
 * compared with utmpdump's own reading of the uncompressed file.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { UtmpFile, failedLogins, failedLoginsAsync, sessions, sessionsAsync } from '../lib';
import type { UtmpEntry } from '../lib';
import { CLI, ORACLE_ENV, utmpx } from './helpers/cli-run';
import { runNodeWithKillTimer, syntheticRecords, writeSyntheticWtmp } from './helpers/reliability';
import { expectMatchesUtmpdump, readWithUtmpdump, richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { have, testUnless, testWith } from './helpers/tools';
/** The oracles: util-linux's utmpdump, last and lastb; the writers: xz, zstd, logrotate. */
const utmpdumpTest = testWith('utmpdump');

const ROOT = path.resolve(__dirname, '..');
let dir: string;
let cleanup: () => void;
let plain: string;
let gz: string;
let oracleRecords: ReturnType<typeof readWithUtmpdump>;

const compress = (program: string, args: string[], file: string, out: string) => {
  fs.writeFileSync(out, execFileSync(program, [...args, file]));
  return out;
};
const collect = async (it: AsyncIterable<UtmpEntry>) => {
  const out: UtmpEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
};
const nodeHasZstd = typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  plain = writeWithUtmpdump(path.join(dir, 'wtmp'), richFixture());
  gz = compress('gzip', ['-c'], plain, path.join(dir, 'wtmp.1.gz'));
  oracleRecords = have('utmpdump') ? readWithUtmpdump(plain) : [];
});
afterAll(() => cleanup());

describe('compressed files, recognised by their first bytes', () => {
  utmpdumpTest('gzip: for await gives what utmpdump reads from the uncompressed file', async () => {
    expectMatchesUtmpdump(await collect(new UtmpFile(gz)), oracleRecords);
  });

  utmpdumpTest('gzip under a name that does not say so, and concatenated gzip members', async () => {
    const noName = path.join(dir, 'rotated');
    fs.copyFileSync(gz, noName);
    expectMatchesUtmpdump(await collect(new UtmpFile(noName)), oracleRecords);
    const twice = path.join(dir, 'twice.gz');
    fs.writeFileSync(twice, Buffer.concat([fs.readFileSync(gz), fs.readFileSync(gz)]));
    expectMatchesUtmpdump(await collect(new UtmpFile(twice)), [...oracleRecords, ...oracleRecords]);
  });

  test('a sync read of a compressed file is a coded error saying to use for await', () => {
    const err = (() => { try { new UtmpFile(gz).next(); } catch (e) { return e as NodeJS.ErrnoException; } })();
    expect(err).toMatchObject({ code: 'ERR_UTMPX_NEEDS_ASYNC', path: gz });
    expect(err!.message).toMatch(/for await/);
    expect(() => [...failedLogins(gz)]).toThrow(expect.objectContaining({ code: 'ERR_UTMPX_NEEDS_ASYNC' }));
  });

  test('newest first, a compressed file is a coded error (it cannot be read backwards)', async () => {
    expect(() => [...failedLogins(gz, { newestFirst: true })]).toThrow(expect.objectContaining({ code: 'ERR_UTMPX_COMPRESSED', path: gz }));
    await expect(collect(new UtmpFile(gz, { newestFirst: true }))).rejects.toMatchObject({ code: 'ERR_UTMPX_COMPRESSED', path: gz });
  });

  utmpdumpTest('failedLoginsAsync and sessionsAsync read gzip as the plain file', async () => {
    expectMatchesUtmpdump(await collect(failedLoginsAsync(gz)), oracleRecords);
    const fromGz = [];
    for await (const s of sessionsAsync(gz, { system: true })) fromGz.push(s);
    expect(fromGz).toEqual([...sessions(plain, { system: true })]);
  });

  testWith('xz')('xz: a coded error saying Node has no decoder', async () => {
    const xz = compress('xz', ['-c'], plain, path.join(dir, 'wtmp.2.xz'));
    await expect(collect(new UtmpFile(xz))).rejects.toMatchObject({ code: 'ERR_UTMPX_UNSUPPORTED_COMPRESSION', path: xz, message: expect.stringMatching(/xz/) });
  });

  testWith('zstd', 'utmpdump')('zstd: read where Node has a decoder, else a coded error', async () => {
    const zst = compress('zstd', ['-q', '-c'], plain, path.join(dir, 'wtmp.3.zst'));
    if (nodeHasZstd) expectMatchesUtmpdump(await collect(new UtmpFile(zst)), oracleRecords);
    else await expect(collect(new UtmpFile(zst))).rejects.toMatchObject({ code: 'ERR_UTMPX_UNSUPPORTED_COMPRESSION', path: zst });
  });

  testWith('logrotate', 'utmpdump')('a set rotated by logrotate with compress', async () => {
    const log = path.join(dir, 'rot', 'wtmp');
    fs.mkdirSync(path.dirname(log));
    const conf = path.join(dir, 'rot.conf');
    fs.writeFileSync(conf, `${log} {\n  rotate 4\n  compress\n  missingok\n  create 0664 root root\n}\n`);
    const state = path.join(dir, 'rot.state');
    fs.copyFileSync(plain, log);
    execFileSync('logrotate', ['-f', '-s', state, conf]);
    writeSyntheticWtmp(log, 50);
    execFileSync('logrotate', ['-f', '-s', state, conf]);
    // wtmp.2.gz holds the first file, wtmp.1 (delaycompress off: wtmp.1.gz) the second.
    const older = fs.readdirSync(path.dirname(log)).sort();
    expect(older).toEqual(['wtmp', 'wtmp.1.gz', 'wtmp.2.gz']);
    expectMatchesUtmpdump(await collect(new UtmpFile(`${log}.2.gz`)), oracleRecords);
    const second = path.join(dir, 'second');
    writeSyntheticWtmp(second, 50);
    expectMatchesUtmpdump(await collect(new UtmpFile(`${log}.1.gz`)), readWithUtmpdump(second));
  });
});

// Runs `script` in a child node with the package loaded as `u`, stdin from bash's `input`.
function nodeReading(input: string, script: string) {
  const code = `const u = require(${JSON.stringify(ROOT)} + '/dist'); (async () => { ${script} })().catch((e) => { console.log(JSON.stringify({ code: e.code })); });`;
  return spawnSync('bash', ['-c', `${input} | "${process.execPath}" -e "$0"`, code], { encoding: 'utf8', timeout: 20000 });
}
const dumpScript = `const out = []; for await (const e of SRC) out.push({ t: e.ut_type_code, u: e.ut_user, time: e.ut_time }); console.log(JSON.stringify(out));`;
const expected = () => oracleRecords.map((r) => r.type);

describe('pipes and stdin', () => {
  utmpdumpTest.each([
    ['the plain file', () => `cat '${plain}'`],
    ['gzip through the pipe', () => `cat '${gz}'`],
    ['zcat', () => `zcat '${gz}'`],
  ])('UtmpFile("/dev/stdin", { stream: true }) from %s', (_, input) => {
    const r = nodeReading(input(), dumpScript.replace('SRC', "new u.UtmpFile('/dev/stdin', { stream: true })"));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).map((e: { t: number }) => e.t)).toEqual(expected());
  });

  utmpdumpTest('UtmpFile.fromStream(process.stdin)', () => {
    const r = nodeReading(`zcat '${gz}'`, dumpScript.replace('SRC', 'u.UtmpFile.fromStream(process.stdin)'));
    expect(JSON.parse(r.stdout).map((e: { t: number }) => e.t)).toEqual(expected());
  });

  test('a sync read of a stream is a coded error', () => {
    const r = nodeReading(`cat '${plain}'`, "new u.UtmpFile('/dev/stdin', { stream: true }).next()");
    expect(JSON.parse(r.stdout)).toEqual({ code: 'ERR_UTMPX_NEEDS_ASYNC' });
  });

  test('a FIFO with no writer, named as stream input, reads as empty at once (no hang, the process ends)', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runNodeWithKillTimer(['-e', `const u = require(${JSON.stringify(ROOT)} + '/dist'); (async () => { let n = 0; for await (const e of new u.UtmpFile(process.argv[1], { stream: true })) n++; console.log(n); })()`, fifo], 10000);
    expect({ status: r.status, stdout: r.stdout.trim() }).toEqual({ status: 0, stdout: '0' });
  });

  // RSS under npm run test:asan means ASAN's quarantine, inflated by design (as for test/leak).
  const rssTest = testUnless((process.env.LD_PRELOAD ?? '').includes('asan') ? "under AddressSanitizer RSS is its quarantine's" : null);
  rssTest('/dev/zero as a stream: memory stays bounded (RSS after 1,200,000 records ~ after 200,000; 384 MB read between)', async () => {
    const script = `const u = require(${JSON.stringify(ROOT)} + '/dist'); (async () => { let n = 0, early = 0;
      for await (const e of new u.UtmpFile('/dev/zero', { stream: true })) {
        if (e.ut_type !== 'EMPTY') throw new Error(e.ut_type);
        if (++n === 200000) { global.gc(); early = process.memoryUsage().rss; }
        if (n === 1200000) break;
      }
      global.gc(); console.log(JSON.stringify({ n, early, late: process.memoryUsage().rss })); })()`;
    const r = await runNodeWithKillTimer(['--expose-gc', '-e', script], 60000);
    expect(r.status).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.n).toBe(1_200_000);
    expect(m.late - m.early).toBeLessThan(48 << 20);
  }, 70000);
});

describe('the CLI', () => {
  const viaBash = (cmd: string) => spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env: ORACLE_ENV, timeout: 20000 });
  const node = `"${process.execPath}" "${CLI}"`;

  test('dump of a .gz, of <(zcat ...), of stdin (-f -) is the dump of the plain file', () => {
    const want = utmpx('dump', '-f', plain);
    expect(want.status).toBe(0);
    expect(utmpx('dump', '-f', gz).stdout).toBe(want.stdout);
    expect(viaBash(`${node} dump <(zcat '${gz}')`).stdout).toBe(want.stdout);
    expect(viaBash(`zcat '${gz}' | ${node} dump -f -`).stdout).toBe(want.stdout);
    expect(viaBash(`${node} dump -f - < '${gz}'`).stdout).toBe(want.stdout);
  });

  // Node's child_process gives a child socket pairs as its stdio, not pipes;
  // /dev/stdin of a socket cannot be opened (ENXIO): the descriptor is read as it is.
  test('dump - and UtmpFile("/dev/fd/0", { stream: true }) read stdin that is a socket (spawnSync with input)', () => {
    const want = utmpx('dump', '-f', plain);
    const input = fs.readFileSync(gz);
    const r = spawnSync(process.execPath, [CLI, 'dump', '-'], { input, env: ORACLE_ENV, encoding: 'utf8', timeout: 20000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(want.stdout);
    expect(r.stderr).toBe(want.stderr.split(plain).join('/dev/stdin')); // the same warnings
    const code = `const u = require(${JSON.stringify(ROOT)} + '/dist'); (async () => { ${dumpScript.replace('SRC', "new u.UtmpFile('/dev/fd/0', { stream: true })")} })()`;
    const lib = spawnSync(process.execPath, ['-e', code], { input, encoding: 'utf8', timeout: 20000 });
    expect(lib.status).toBe(0);
    expect(JSON.parse(lib.stdout).map((e: { t: number }) => e.t)).toEqual(new UtmpFile(plain).toArray().map((e) => e.ut_type_code));
  });

  testWith('xz')('xz: exit 1 with the coded error', () => {
    const xz = compress('xz', ['-c'], plain, path.join(dir, 'cli.xz'));
    const r = utmpx('dump', '-f', xz);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ERR_UTMPX_UNSUPPORTED_COMPRESSION');
  });
});

describe('a rotated set', () => {
  // Two files split between a login and its logout; logrotate's names, oldest first.
  let older: string;
  let newer: string;
  let whole: string;
  beforeAll(() => {
    // Without the records last(1) shows otherwise on purpose (raw bytes, times past 2038): see cli-last.test.ts.
    const records = richFixture().filter((r) => !r.host.includes('\xff') && !r.time.startsWith('2040'));
    const cut = records.findIndex((r) => r.type === 8); // alice's logout begins the newer file
    older = compress('gzip', ['-c'], writeWithUtmpdump(path.join(dir, 'set.2'), records.slice(0, cut)), path.join(dir, 'wtmp.2.gz'));
    newer = writeWithUtmpdump(path.join(dir, 'set.1'), records.slice(cut));
    whole = writeWithUtmpdump(path.join(dir, 'set.whole'), records);
  });

  test('sessionsAsync([older.gz, newer]) pairs across the files as sessions() of the file they were cut from', async () => {
    const got = [];
    for await (const s of sessionsAsync([older, newer], { system: true })) got.push(s);
    expect(got).toEqual([...sessions(whole, { system: true })]);
    expect(got.some((s) => s.user === 'alice' && s.end === 'logout')).toBe(true);
  });

  test('sessions([a, b]) (sync) on plain files is the same; [] is a TypeError', () => {
    const olderPlain = path.join(dir, 'set.2');
    expect([...sessions([olderPlain, newer], { system: true })]).toEqual([...sessions(whole, { system: true })]);
    expect(() => [...sessions([])]).toThrow(TypeError);
  });

  testWith('last')('utmpx last -f A -f B prints what util-linux last prints (each file in turn, with its begins line)', () => {
    const olderPlain = path.join(dir, 'set.2');
    for (const args of [['-f', olderPlain, '-f', newer], ['-x', '-f', newer, '-f', olderPlain], ['-n', '1', '-f', olderPlain, '-f', newer]]) {
      const want = execFileSync('last', args, { env: ORACLE_ENV }).toString();
      expect(utmpx('last', ...args).stdout).toBe(want);
    }
  });

  testWith('last')('utmpx last -f wtmp.2.gz is last -f of the uncompressed file (begins line named after the .gz)', () => {
    const olderPlain = path.join(dir, 'set.2');
    const want = execFileSync('last', ['-x', '-f', olderPlain], { env: ORACLE_ENV }).toString().replace('set.2 begins', 'wtmp.2.gz begins');
    expect(utmpx('last', '-x', '-f', older).stdout).toBe(want);
    const viaPipe = spawnSync('bash', ['-c', `zcat '${older}' | "${process.execPath}" "${CLI}" last -x -f -`], { encoding: 'utf8', env: ORACLE_ENV });
    expect(viaPipe.stdout).toBe(want.replace('wtmp.2.gz begins', 'stdin begins'));
  });
});

describe('utmpx lastb of a compressed btmp and of stdin', () => {
  testWith('lastb')('is lastb -f of the uncompressed file (newest first; -n keeps the newest)', () => {
    const records = richFixture().filter((r) => !r.host.includes('\xff') && !r.time.startsWith('2040'));
    const btmp = writeWithUtmpdump(path.join(dir, 'btmp'), records);
    const btmpGz = compress('gzip', ['-c'], btmp, path.join(dir, 'btmp.1.gz'));
    for (const args of [[], ['-n', '3']]) {
      const want = execFileSync('lastb', [...args, '-f', btmp], { env: ORACLE_ENV }).toString();
      expect(utmpx('lastb', ...args, '-f', btmpGz).stdout).toBe(want.replace('btmp begins', 'btmp.1.gz begins'));
      const piped = spawnSync('bash', ['-c', `zcat '${btmpGz}' | "${process.execPath}" "${CLI}" lastb ${args.join(' ')} -f -`], { encoding: 'utf8', env: ORACLE_ENV });
      expect(piped.stdout).toBe(want.replace('btmp begins', 'stdin begins'));
    }
  });
});

test('the EFTYPE of a FIFO passed as a file says how to read it as a stream', async () => {
  const fifo = path.join(dir, 'fifo-as-file');
  execFileSync('mkfifo', [fifo]);
  await expect(collect(new UtmpFile(fifo))).rejects.toMatchObject({ code: 'EFTYPE', path: fifo, message: expect.stringContaining('{ stream: true }') });
});

describe('abandoned readers of compressed files keep no descriptor', () => {
  const openFds = () => fs.readdirSync('/proc/self/fd').length;

  utmpdumpTest('200 readers dropped after their first entry: descriptors stay within the bound; one let go reads on where it stopped', async () => {
    // Hosts that look random (a digest, so the file is a committed fixture), so the compressed file is larger than one read: the reader keeps its descriptor between reads.
    const records = syntheticRecords(8000).map((r, i) => ({ ...r, host: `${crypto.createHash('sha256').update(String(i)).digest('hex').slice(0, 16)}.${i}` }));
    const big = writeWithUtmpdump(path.join(dir, 'big'), records);
    const bigGz = compress('gzip', ['-c'], big, path.join(dir, 'big.gz'));
    const want = readWithUtmpdump(big);
    expect(fs.statSync(bigGz).size).toBeGreaterThan(256 * 1024);
    const first = new UtmpFile(bigGz)[Symbol.asyncIterator]();
    const got: UtmpEntry[] = [];
    for (let i = 0; i < 1000; i++) got.push((await first.next()).value);
    const before = openFds();
    for (let i = 0; i < 200; i++) await new UtmpFile(bigGz)[Symbol.asyncIterator]().next();
    expect(openFds() - before).toBeLessThanOrEqual(40); // MAX_KEPT (32), and a few of jest's
    for (let r = await first.next(); !r.done; r = await first.next()) got.push(r.value);
    expectMatchesUtmpdump(got, want);
  });
});
