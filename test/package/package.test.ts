/**
 * The published package, installed as a user installs it: `npm run prebuild`
 * and `npm pack` in a clean copy of the checkout, then `npm install` of the
 * tarball into a scratch project with every compiler shadowed by a failing
 * stub and (where `unshare -n` works) no network at all; dependencies come
 * from the npm cache. Then the CLI, `require` and `import` read a fixture
 * written by `utmpdump -r`, checked against utmpdump and who(1).
 *
 * UTMPX_TARBALL=path installs that tarball instead of building one (the
 * release workflow checks its merged tarball this way).
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { dumpSeconds, readWithUtmpdump, tempDir, writeWithUtmpdump } from '../helpers/utmpdump';

const REPO = path.resolve(__dirname, '../..');
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
const STUBBED = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'make', 'gmake', 'python', 'python3'];
const glibc = Boolean((process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime);
const libc = process.platform === 'linux' ? (glibc ? 'glibc' : 'musl') : 'glibc';
const PREBUILD = `prebuilds/${process.platform}-${process.arch}/${PKG.name}.${libc}.node`;

let root: string;
let cleanup: () => void;
let tarball: string;
let packed: string[];
let app: string;
let installed: string;
let fixture: string;
let userEnv: NodeJS.ProcessEnv;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240000 });
}

function mustRun(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = run(cmd, args, cwd, env);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// A copy of the checkout as git sees it (tracked and new files, nothing ignored:
// no stale dist/, build/ or prebuilds/), so nothing here disturbs the checkout.
function buildTarball(): string {
  const stage = path.join(root, 'src');
  const list = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO }).toString();
  for (const rel of list.split('\0').filter(Boolean)) {
    const from = path.join(REPO, rel);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(stage, rel));
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(stage, 'node_modules'));
  mustRun('npm', ['run', 'prebuild'], stage);
  const out = JSON.parse(mustRun('npm', ['pack', '--json', '--pack-destination', root], stage)) as { filename: string }[];
  return path.join(root, out[0].filename);
}

// The environment of a user without build tools: failing stubs first on PATH
// (each logs its call), and none of npm's or the checkout's helper folders.
function userEnvironment(): NodeJS.ProcessEnv {
  const stubs = path.join(root, 'stubs');
  fs.mkdirSync(stubs);
  for (const tool of STUBBED) {
    const script = `#!/bin/sh\necho "${tool} $*" >> "${path.join(root, 'stub-calls.log')}"\n` +
      `echo "${tool}: not installed (utmpx packaging test)" >&2\nexit 127\n`;
    fs.writeFileSync(path.join(stubs, tool), script, { mode: 0o755 });
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'PREBUILDS_ONLY') env[k] = v;
  }
  const kept = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !d.includes('node_modules'));
  env.PATH = [stubs, ...kept].join(path.delimiter);
  env.TZ = 'UTC';
  env.LC_ALL = 'C.UTF-8';
  return env;
}

function stubCalls(): string {
  const log = path.join(root, 'stub-calls.log');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
}

// No network: a fresh network namespace when we may make one, else npm --offline alone.
const isolate = spawnSync('unshare', ['-n', 'true']).status === 0;
function offline(cmd: string, args: string[], env = userEnv): SpawnSyncReturns<string> {
  return isolate ? run('unshare', ['-n', cmd, ...args], app, env) : run(cmd, args, app, env);
}

// The same probe as CommonJS and as an ES module: the entries of FILE through
// each source named in SOURCES, and which .node files the process loaded.
const PROBE = `
const [file, sources] = process.argv.slice(2);
const entries = (source) => new utmpx.UtmpFile(file, { source }).toArray()
  .map((e) => ({ type: e.ut_type_code, user: e.ut_user, line: e.line, host: e.ut_host, usec: Math.round(e.ut_time * 1e6) }));
const result = {
  exports: Object.keys(utmpx).filter((k) => k !== 'default' && k !== '__esModule').sort(),
  auto: new utmpx.UtmpFile(file).source,
  bySource: Object.fromEntries(sources.split(',').map((s) => [s, entries(s)])),
  addons: process.report.getReport().sharedObjects.filter((f) => f.endsWith('.node')),
};
`;
const CJS = `const utmpx = require('utmpx');\n${PROBE}console.log(JSON.stringify(result));\n`;
const ESM = `import * as utmpx from 'utmpx';\nimport { UtmpFile } from 'utmpx';\nimport { createRequire } from 'module';\n${PROBE}` +
  `result.sameClass = UtmpFile === createRequire(import.meta.url)('utmpx').UtmpFile;\nconsole.log(JSON.stringify(result));\n`;

// The types, as each module system sees them; the expected errors prove they are not \`any\`.
const TYPES_MTS = `import utmpx, { UtmpFile, type UtmpEntry } from 'utmpx';
const f: UtmpFile = new utmpx.UtmpFile('x', { source: 'decoder' });
export const first: UtmpEntry | undefined = f.toArray()[0];
// @ts-expect-error not a source
new UtmpFile('x', { source: 'nope' });
`;
const TYPES_CTS = `import utmpx = require('utmpx');
export const f: utmpx.UtmpFile = new utmpx.UtmpFile('x');
// @ts-expect-error ut_user is a string
export const n: number = f.toArray()[0].ut_user;
`;

interface ProbeResult {
  exports: string[];
  auto: string;
  bySource: Record<string, { type: number; user: string; line: string; host: string; usec: number }[]>;
  addons: string[];
  sameClass?: boolean;
}

function probe(script: string, env: NodeJS.ProcessEnv = userEnv): ProbeResult {
  const sources = glibc ? 'decoder,libc' : 'decoder';
  return JSON.parse(mustRun(process.execPath, [script, fixture, sources], app, env)) as ProbeResult;
}

beforeAll(() => {
  ({ dir: root, cleanup } = tempDir('utmpx-package-'));
  tarball = process.env.UTMPX_TARBALL ? path.resolve(process.env.UTMPX_TARBALL) : buildTarball();
  packed = mustRun('tar', ['-tzf', tarball], root).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));

  userEnv = userEnvironment();
  app = path.join(root, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
  const r = offline('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball]);
  if (r.status !== 0) throw new Error(`npm install of the tarball failed:\n${r.stdout}${r.stderr}`);
  installed = path.join(app, 'node_modules', PKG.name);

  fs.writeFileSync(path.join(app, 'probe.cjs'), CJS);
  fs.writeFileSync(path.join(app, 'probe.mjs'), ESM);
  fixture = writeWithUtmpdump(path.join(root, 'utmp'), [
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0-18-amd64', addr: '0.0.0.0', time: '2024-01-15T09:00:00,000000+00:00' },
    { type: 7, pid: 4242, id: 'ts/1', user: 'alice', line: 'pts/1', host: '10.0.0.5', addr: '10.0.0.5', time: '2024-01-15T09:30:00,123456+00:00' },
    { type: 7, pid: 4243, id: 'ts/2', user: 'bob', line: 'pts/2', host: '2001:db8::1', addr: '2001:db8::1', time: '2024-01-15T10:00:00,000000+00:00' },
    { type: 8, pid: 4242, id: 'ts/1', user: '', line: 'pts/1', host: '', addr: '0.0.0.0', time: '2024-01-15T11:00:00,000000+00:00' },
  ]);
}, 600000);

afterAll(() => cleanup?.());

test('the tarball holds the build, types, sources of the addon, prebuild, docs and man pages, and nothing else', () => {
  const allowed = [
    /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^binding\.gyp$/,
    /^dist\/.+\.(js|mjs|d\.ts|d\.mts|js\.map)$/, /^lib\/.+\.ts$/, /^src-native\/[\w-]+\.(cc|h)$/,
    /^prebuilds\/[\w+-]+\/[\w.]+\.node$/, /^man\/utmpx(-[a-z]+)?\.1$/, /^schema\/[a-z]+\.schema\.json$/,
  ];
  expect(packed.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
  expect(packed.filter((f) => /(^|\/)(test|tests|__tests__|fixtures?|bench)(\/|$)|\.test\./.test(f))).toEqual([]);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'binding.gyp', 'man/utmpx.1', 'man/utmpx-last.1', 'dist/index.js', 'dist/index.mjs',
    'dist/index.d.ts', 'dist/index.d.mts', 'dist/cli/main.js', 'src-native/addon.cc', 'src-native/platform.h', PREBUILD]) {
    expect(packed).toContain(f);
  }
  // Every shipped source map points at a shipped source.
  for (const map of packed.filter((f) => f.endsWith('.map'))) {
    const { sources } = JSON.parse(fs.readFileSync(path.join(installed, map), 'utf8')) as { sources: string[] };
    for (const s of sources) expect(packed).toContain(path.posix.join(path.posix.dirname(map), s));
  }
});

test('installing needed no compiler (no stub was called, nothing was built) and no network', () => {
  const which = spawnSync('sh', ['-c', 'command -v g++'], { env: userEnv, encoding: 'utf8' }).stdout.trim();
  expect(which).toBe(path.join(root, 'stubs', 'g++'));
  expect(stubCalls()).toBe('');
  expect(fs.existsSync(path.join(installed, PREBUILD))).toBe(true);
  expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  if (isolate) {
    // The namespace npm ran in cannot even resolve the registry's name.
    const registryHost = new URL(spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).stdout.trim()).hostname;
    const lookup = offline(process.execPath, ['-e', `require('dns').lookup(${JSON.stringify(registryHost)}, (e) => { console.log(e ? e.code : 'resolved'); })`]);
    expect(lookup.stdout.trim()).not.toBe('resolved');
  }
});

test('the CLI runs: npx utmpx --version, and utmpx who -f FILE prints what who(1) prints', () => {
  expect(offline('npx', ['--offline', 'utmpx', '--version']).stdout.trim()).toBe(PKG.version);
  const ours = offline('npx', ['--offline', 'utmpx', 'who', '-f', fixture]);
  expect(ours.status).toBe(0);
  const theirs = mustRun('who', [fixture], app, userEnv);
  expect(theirs.split('\n').filter(Boolean)).toHaveLength(2); // alice and bob
  expect(ours.stdout).toBe(theirs);
});

function expectMatchesOracle(result: ProbeResult): void {
  const oracle = readWithUtmpdump(fixture)
    .map((d) => ({ type: d.type, user: d.user, line: d.line, host: d.host, usec: Math.round(dumpSeconds(d.time) * 1e6) }));
  for (const entries of Object.values(result.bySource)) expect(entries).toEqual(oracle);
  expect(result.auto).toBe('decoder'); // a path given: streamed (on musl: always)
  expect(result.addons).toEqual([fs.realpathSync(path.join(installed, PREBUILD))]);
}

test("require('utmpx') reads the fixture through the shipped binary", () => {
  expectMatchesOracle(probe('probe.cjs'));
});

test("import('utmpx') gives the same named exports, the same classes, the same entries", () => {
  const esm = probe('probe.mjs');
  expectMatchesOracle(esm);
  expect(esm.sameClass).toBe(true);
  expect(esm.exports).toEqual(probe('probe.cjs').exports);
});

test('the types resolve for both module systems', () => {
  fs.writeFileSync(path.join(app, 'types.mts'), TYPES_MTS);
  fs.writeFileSync(path.join(app, 'types.cts'), TYPES_CTS);
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    files: ['types.mts', 'types.cts'],
  }));
  mustRun(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', app], app, userEnv);
});

test('PREBUILDS_ONLY=1 loads the shipped prebuild even when a build/ would win', () => {
  // A decoy where node-gyp-build looks first: loading it fails, proving build/ is preferred...
  const decoy = path.join(installed, 'build', 'Release', `${PKG.name}.node`);
  fs.mkdirSync(path.dirname(decoy), { recursive: true });
  fs.writeFileSync(decoy, 'not a shared object');
  try {
    const preferred = run(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(installed)})`], app, userEnv);
    expect(preferred.stderr).toContain(decoy);
    // ...and PREBUILDS_ONLY=1 skips it for the prebuild, for both module systems.
    const only = { ...userEnv, PREBUILDS_ONLY: '1' };
    expectMatchesOracle(probe('probe.cjs', only));
    expectMatchesOracle(probe('probe.mjs', only));
  } finally {
    fs.rmSync(path.join(installed, 'build'), { recursive: true, force: true });
  }
});

test('a global install: man utmpx-last opens the page, utmpx completion bash loads in bash', () => {
  const prefix = path.join(root, 'global');
  const r = offline('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball]);
  expect(r.status).toBe(0);
  const env = { ...userEnv, PATH: `${path.join(prefix, 'bin')}:${userEnv.PATH}`, MANPATH: path.join(prefix, 'share/man') };
  const page = fs.realpathSync(path.join(prefix, 'share/man/man1/utmpx-last.1'));
  expect(page).toBe(path.join(prefix, 'lib/node_modules', PKG.name, 'man/utmpx-last.1'));
  if (spawnSync('sh', ['-c', 'command -v man']).status === 0) {
    expect(run('man', ['-w', 'utmpx-last'], app, env).stdout.trim()).toBe(page);
    expect(run('man', ['utmpx-last'], app, { ...env, MANPAGER: 'cat', MANWIDTH: '80' }).stdout).toContain('utmpx-last - ');
  } else {
    console.log('package: man not on PATH: the page was checked as a file only');
  }
  const bash = run('bash', ['-c', 'source <(utmpx completion bash) && complete -p utmpx'], app, env);
  expect(bash.stderr).toBe('');
  expect(bash.stdout).toMatch(/^complete .* utmpx$/m);
});

test('without a prebuild, the install script compiles (here it finds only the stubs)', () => {
  fs.rmSync(path.join(installed, 'prebuilds'), { recursive: true, force: true });
  const r = offline('npm', ['rebuild', PKG.name, '--offline']);
  expect(r.status).not.toBe(0);
  expect(stubCalls()).toMatch(/^(python3?|make|g\+\+|c\+\+|cc|gcc) /m);
});
