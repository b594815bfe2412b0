/**
 * Which reader serves a database on each platform, and how the library knows
 * its C library: on musl (Alpine) the utmpx functions are stubs that find
 * nothing, so everything must go through the decoder, and `source` says so.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile, chooseSource } from '../lib';
import { native } from '../lib/native';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

describe('chooseSource: the rule', () => {
  test.each([
    ['glibc', false, undefined, 'libc'],
    ['glibc', false, '/copy/wtmp', 'decoder'],
    ['darwin', false, undefined, 'libc'],
    ['darwin', false, '/copy/wtmp', 'decoder'],
    ['freebsd', false, undefined, 'libc'],
    ['freebsd', false, '/copy/utx.log', 'libc'],
    ['musl', true, undefined, 'decoder'],
    ['musl', true, '/copy/wtmp', 'decoder'],
    ['other', true, undefined, 'decoder'],
  ] as const)('%s (stubs: %s), path %s: %s', (platform, stubs, file, expected) => {
    expect(chooseSource(file, platform, stubs)).toBe(expected);
  });

  test('musl gets the decoder even if the stub flag were missing', () => {
    expect(chooseSource(undefined, 'musl', false)).toBe('decoder');
  });

  test('a forced layout means the decoder everywhere', () => {
    for (const p of ['glibc', 'darwin', 'freebsd'] as const) expect(chooseSource(undefined, p, false, 'glibc-384-le')).toBe('decoder');
  });
});

// What Node itself reports about the C library it runs on: independent of the addon.
const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
const hostLibc = process.platform !== 'linux' ? null : report.header.glibcVersionRuntime ? 'glibc' : 'musl';

test('the addon names the same C library that Node reports', () => {
  const addon = native();
  if (hostLibc) expect(addon.platform).toBe(hostLibc);
  expect(addon.libcStubs).toBe(addon.platform === 'musl' || addon.platform === 'other');
});

// Fixtures come from util-linux's utmpdump: absent on macOS and FreeBSD.
const haveUtmpdump = spawnSync('utmpdump', ['--version']).status === 0;

(haveUtmpdump ? describe : describe.skip)('this machine, on a file written by utmpdump', () => {
  let dir: string;
  let cleanup: () => void;
  let fixture: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    fixture = writeWithUtmpdump(path.join(dir, 'utmp'), richFixture().slice(0, 4));
  });
  afterAll(() => cleanup());

  test('UtmpFile.source says which reader serves the live database and a file', () => {
    const stubs = native().libcStubs;
    expect(new UtmpFile().source).toBe(stubs ? 'decoder' : 'libc'); // constructing reads nothing
    expect(new UtmpFile(fixture).source).toBe('decoder');
  });

  test('forcing libc reads the file where libc works, and fails with ENOSYS where it is a stub', () => {
    const forced = () => new UtmpFile(fixture, { source: 'libc' }).toArray();
    if (native().libcStubs) {
      expect(forced).toThrow(expect.objectContaining({ code: 'ENOSYS', syscall: 'getutxent' }));
    } else {
      expect(forced()).toEqual(new UtmpFile(fixture, { source: 'decoder' }).toArray());
    }
  });
});

// The branch src-native/platform.h takes, as the compiler's preprocessor sees it.
const PLATFORM_H = path.resolve(__dirname, '../src-native/platform.h');
const haveCxx = spawnSync('g++', ['--version']).status === 0;

function platformMacros(extraArgs: string[]): Record<string, string> {
  const r = spawnSync('g++', ['-std=c++17', '-E', '-dM', ...extraArgs, '-x', 'c++', PLATFORM_H], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Object.fromEntries([...r.stdout.matchAll(/^#define (UTMPX_\w+) (.*)$/gm)].map((m) => [m[1], m[2]]));
}

// musl's headers as Debian's musl-dev installs them, with the compiler's own C++ headers.
function muslIncludeArgs(): string[] | null {
  const arch = spawnSync('g++', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim();
  const musl = arch && `/usr/include/${arch.replace(/-gnu$/, '-musl')}`;
  if (!musl || !fs.existsSync(path.join(musl, 'utmpx.h'))) return null;
  const verbose = spawnSync('g++', ['-E', '-v', '-x', 'c++', '-'], { input: '', encoding: 'utf8' }).stderr;
  const searched = verbose.split('#include <...> search starts here:')[1]?.split('End of search list.')[0] ?? '';
  const compilerOwn = searched.split('\n').map((l) => l.trim()).filter((d) => /\/c\+\+\/|\/gcc\//.test(d));
  // libstdc++ was configured for glibc; this macro is all its headers need from it to preprocess.
  return ['-nostdinc', ...compilerOwn.flatMap((d) => ['-isystem', d]), '-isystem', musl, '-D__GLIBC_PREREQ(a,b)=0'];
}

(haveCxx ? describe : describe.skip)('platform.h', () => {
  test("with this system's headers it picks the C library Node runs on", () => {
    const m = platformMacros([]);
    if (hostLibc) expect(m.UTMPX_PLATFORM).toBe(`"${hostLibc}"`);
    expect('UTMPX_LIBC_STUBS' in m).toBe(hostLibc === 'musl');
  });

  const musl = haveCxx ? muslIncludeArgs() : null;
  (musl ? test : test.skip)("with musl's headers (musl-dev) it picks musl and marks the stubs", () => {
    const m = platformMacros(musl!);
    expect(m.UTMPX_PLATFORM).toBe('"musl"');
    expect(m.UTMPX_LIBC_STUBS).toBe('1');
  });
});
