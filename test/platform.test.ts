/**
 * Which reader serves a database on each platform, and how the library knows
 * its C library: on musl (Alpine) the utmpx functions are stubs that find
 * nothing, so everything must go through the decoder, and `source` says so.
 */
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { UtmpFile, chooseSource, logindLibrary } from '../lib';
import { noLiveSessions, noLiveUtmp } from './helpers/cli-run';
import { native } from '../lib/platform/native';
import { richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { describeUnless, testUnless } from './helpers/tools';

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

// The fixture is a Linux file (written by util-linux's utmpdump, committed): macOS's and FreeBSD's libc cannot read it.
describeUnless(process.platform === 'linux' ? null : `not Linux (${process.platform}): its libc cannot read a Linux record file`)('this machine, on a file written by utmpdump', () => {
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
    // A system without utmp whose sessions logind keeps answers from logind (test/logind.test.ts).
    const logindHere = noLiveUtmp && !noLiveSessions && logindLibrary() !== null;
    expect(new UtmpFile().source).toBe(logindHere ? 'logind' : stubs ? 'decoder' : 'libc'); // constructing reads nothing
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

function platformMacros(extraArgs: string[], file = PLATFORM_H): Record<string, string> {
  const r = spawnSync('g++', ['-std=c++17', '-E', '-dM', ...extraArgs, '-x', 'c++', file], { encoding: 'utf8' });
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

describeUnless(haveCxx ? null : 'no g++ to preprocess platform.h')('platform.h', () => {
  test("with this system's headers it picks the C library Node runs on", () => {
    const m = platformMacros([]);
    if (hostLibc) expect(m.UTMPX_PLATFORM).toBe(`"${hostLibc}"`);
    expect('UTMPX_LIBC_STUBS' in m).toBe(hostLibc === 'musl');
  });

  const musl = haveCxx ? muslIncludeArgs() : null;
  testUnless(musl ? null : "no musl headers (musl-dev)")("with musl's headers (musl-dev) it picks musl and marks the stubs", () => {
    const m = platformMacros(musl!);
    expect(m.UTMPX_PLATFORM).toBe('"musl"');
    expect(m.UTMPX_LIBC_STUBS).toBe('1');
  });
});

// binding.gyp builds the common sources everywhere and one lastlog reader per
// OS (src-native/lastlog_reader.h). Its conditions are Python expressions:
// python3 (which node-gyp needs anyway) evaluates them here as gyp does.
const SOURCES = path.resolve(__dirname, '../src-native');
const BINDING_GYP = path.resolve(__dirname, '../binding.gyp');
const havePython = spawnSync('python3', ['--version']).status === 0;
const GYP_SOURCES_PY = `
import ast, sys
target = ast.literal_eval(open(sys.argv[1]).read())['targets'][0]
sources = list(target['sources'])
for cond in target.get('conditions', []):
    taken = eval(cond[0], {'__builtins__': {}}, {'OS': sys.argv[2]})
    branch = cond[1] if taken else (cond[2] if len(cond) > 2 else {})
    sources += branch.get('sources', [])
print('\\n'.join(sources))
`;

/** The file names of the sources binding.gyp builds where node-gyp's OS is `gypOs` ('mac' for macOS). */
function gypSources(gypOs: string): string[] {
  const r = spawnSync('python3', ['-c', GYP_SOURCES_PY, BINDING_GYP, gypOs], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((f) => path.relative(SOURCES, path.resolve(__dirname, '..', f)));
}

const lastlogReaders = (files: string[]) => files.filter((f) => /^lastlog_\w+\.cc$/.test(f) && f !== 'lastlog_reader.cc');

describeUnless(havePython ? null : 'no python3 to read binding.gyp')('binding.gyp', () => {
  test.each([
    ['linux', 'lastlog_linux.cc'],
    ['android', 'lastlog_linux.cc'],
    ['mac', 'lastlog_macos.cc'],
    ['freebsd', 'lastlog_freebsd.cc'],
    ['openbsd', 'lastlog_other.cc'],
    ['win', 'lastlog_other.cc'],
  ])('OS %s builds the common lastlog code and one reader, %s', (gypOs, reader) => {
    const files = gypSources(gypOs);
    expect(files).toContain('lastlog_reader.cc');
    expect(lastlogReaders(files)).toEqual([reader]);
  });

  test('every source in src-native/ is built for some OS, and the common ones for all', () => {
    const perOs = ['linux', 'mac', 'freebsd', 'openbsd'].map(gypSources);
    const onDisk = fs.readdirSync(SOURCES).filter((f) => f.endsWith('.cc')).sort();
    expect([...new Set(perOs.flat())].sort()).toEqual(onDisk);
    const common = onDisk.filter((f) => perOs.every((files) => files.includes(f)));
    expect(common.sort()).toEqual(onDisk.filter((f) => !lastlogReaders(onDisk).includes(f)));
  });
});

// macOS's and FreeBSD's branches cannot run here, but they are compiled here:
// the sources binding.gyp builds for each, against those systems' utmpx API as
// their man pages declare it (test/native-platforms/<os>/utmpx.h), so a typo,
// a wrong type or a call their libc lacks fails this test.
const OTHER_OSES = {
  darwin: { gypOs: 'mac', args: ['-D__APPLE__=1'] },
  freebsd: { gypOs: 'freebsd', args: [] }, // its utmpx.h defines __FreeBSD__ (GCC's <stddef.h> would want FreeBSD's headers)
} as const;
type OtherOs = keyof typeof OTHER_OSES;
const nodeHeaders = path.resolve(process.execPath, '../../include/node');
const addonIncludes = () => ['-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-I', require('node-addon-api').include_dir, '-I', nodeHeaders];
const execFileAsync = promisify(execFile);

/** The compiler's arguments to build the addon for `os` with the declarations of `headersOf`. */
function crossArgs(os: OtherOs, headersOf: OtherOs = os): string[] {
  return [...OTHER_OSES[os].args, '-I', path.join(__dirname, 'native-platforms', headersOf), ...addonIncludes()];
}

/** `g++ -fsyntax-only -Werror` of each of `files` (in src-native/) with `args`. */
async function compile(files: string[], args: string[]): Promise<{ file: string; ok: boolean; stderr: string }[]> {
  const strict = ['-fsyntax-only', '-std=c++17', '-fexceptions', '-Wall', '-Wextra', '-Werror'];
  return Promise.all(files.map(async (file) => {
    try {
      await execFileAsync('g++', [...strict, ...args, path.join(SOURCES, file)]);
      return { file, ok: true, stderr: '' };
    } catch (err) {
      return { file, ok: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
    }
  }));
}

/** The sources binding.gyp builds for `os`, compiled as for `os` with the declarations of `headersOf`. */
const compileAs = (os: OtherOs, headersOf: OtherOs = os) => compile(gypSources(OTHER_OSES[os].gypOs), crossArgs(os, headersOf));

// Proven on glibc hosts (this one and CI's Linux jobs); elsewhere the real systems build the addon.
const canCrossCheck = haveCxx && havePython && hostLibc === 'glibc' && fs.existsSync(path.join(nodeHeaders, 'node_api.h'));

describeUnless(canCrossCheck ? null : 'needs glibc, g++, python3 and node_api.h (Node\'s headers)')("each OS's sources, compiled against its declarations, warnings as errors", () => {
  test.each([
    ['darwin', '"darwin"'],
    ['freebsd', '"freebsd"'],
  ] as const)('platform.h on %s picks %s; no glibc-only fields', (os, platform) => {
    // A whole source, as it is built: platform.h alone lacks the C++ headers the sources include first.
    const m = platformMacros(crossArgs(os), path.join(SOURCES, 'lastlog_reader.cc'));
    expect(m.UTMPX_PLATFORM).toBe(platform);
    for (const glibcOnly of ['UTMPX_HAVE_EXIT', 'UTMPX_HAVE_SESSION', 'UTMPX_HAVE_ADDR', 'UTMPX_FILE_IS_STRUCT_ARRAY', 'UTMPX_LIBC_STUBS']) {
      expect(m).not.toHaveProperty(glibcOnly);
    }
  });

  test.each(['darwin', 'freebsd'] as const)('every source binding.gyp builds for %s compiles', async (os) => {
    const results = await compileAs(os);
    expect(results.length).toBeGreaterThanOrEqual(6);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  test("Linux's sources and the fallback reader for other OSes compile with this system's headers", async () => {
    const files = [...new Set([...gypSources('linux'), ...gypSources('openbsd')])];
    expect(files).toEqual(expect.arrayContaining(['lastlog_linux.cc', 'lastlog_other.cc']));
    const results = await compile(files, ['-D_GNU_SOURCE', ...addonIncludes()]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  test("the check can fail: macOS's sources against FreeBSD's declarations do not compile", async () => {
    const failed = (await compileAs('darwin', 'freebsd')).filter((r) => !r.ok);
    expect(failed.map((r) => r.file)).toEqual(expect.arrayContaining(['lastlog_macos.cc', 'utmpx_reader.cc']));
    expect(failed.map((r) => r.stderr).join('\n')).toMatch(/getlastlogx|utmpxname/);
  });

  test("nor does one OS's lastlog reader built for another", async () => {
    const [result] = await compile(['lastlog_freebsd.cc'], crossArgs('darwin'));
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(/binding\.gyp picks the one for each OS/);
  });
});
