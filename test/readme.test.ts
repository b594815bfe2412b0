/**
 * The README's code is what users copy (issue 21): every ```ts and ```js block
 * is type-checked by tsc under `strict` and `module: nodenext` against the
 * package's own types (`import ... from 'utmpx'` resolving to this checkout's
 * dist/ through its package.json exports, as an installed package resolves),
 * and every block that reads only files it names runs, with those paths
 * rewritten to scratch copies of records written by `utmpdump -r`.
 *
 * A comment on the line before a block says how it is checked:
 * - `<!-- readme-test: typecheck-only -->`: it reads this machine's own
 *   databases (no path given), which the default tests never touch;
 * - `<!-- readme-test: one module per line -->`: each line is a module of
 *   its own (a `require` line CommonJS, an `import` line an ES module).
 * Without one, the block is type-checked and run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as ts from 'typescript';
import { richFixture } from './helpers/utmpdump';
import { binary } from './helpers/watch';
import { tempDir } from './helpers/utmpdump';

const ROOT = path.resolve(__dirname, '..');
const README = path.join(ROOT, 'README.md');

type Mode = 'run' | 'typecheck-only' | 'one module per line';

interface Block {
  /** The README line of the opening fence. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
  mode: Mode;
}

/** A module made from a block: its file name in the scratch project, its code, and the README line its first line is on. */
interface Module {
  file: string;
  code: string;
  firstLine: number;
  block: Block;
}

export function readmeBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block that never closes`);
    if (open[1] === 'ts' || open[1] === 'js') {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const marker = /^<!-- readme-test: (.+?) -->$/.exec(lines[before]?.trim() ?? '');
      const mode = (marker?.[1] ?? 'run') as Mode;
      if (!['run', 'typecheck-only', 'one module per line'].includes(mode)) throw new Error(`README.md:${before + 1}: unknown readme-test mode '${mode}'`);
      blocks.push({ line: i + 1, lang: open[1], code: lines.slice(i + 1, end).join('\n'), mode });
    }
    i = end;
  }
  return blocks;
}

function modulesOf(blocks: Block[]): Module[] {
  return blocks.flatMap((block, n): Module[] => {
    const esm = block.lang === 'ts' ? 'mts' : 'mjs';
    const cjs = block.lang === 'ts' ? 'cts' : 'cjs';
    if (block.mode !== 'one module per line') return [{ file: `block${n}.${esm}`, code: block.code, firstLine: block.line + 1, block }];
    return block.code.split('\n').flatMap((code, k) => (code.trim() === '' ? [] : [{
      file: `block${n}-${k}.${/\brequire\(/.test(code) ? cjs : esm}`, code, firstLine: block.line + 1 + k, block,
    }]));
  });
}

/** A scratch project in which 'utmpx' is this checkout, as an installed package: node_modules/utmpx. */
function scratchProject(dir: string): void {
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'utmpx'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'));
}

const blocks = readmeBlocks(fs.readFileSync(README, 'utf8'));
const modules = modulesOf(blocks);
let scratch: ReturnType<typeof tempDir>;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.d.mts'))) throw new Error('dist/ is not built: run npm run build:ts first (npm test does)');
  scratch = tempDir('utmpx-readme-');
  scratchProject(scratch.dir);
});
afterAll(() => scratch?.cleanup());

test('the README has code blocks of each kind to check', () => {
  expect(blocks.filter((b) => b.mode === 'run').length).toBeGreaterThan(0);
  expect(blocks.filter((b) => b.mode === 'typecheck-only').length).toBeGreaterThan(0);
});

test('every ts/js block of the README type-checks (strict, nodenext) against the package\'s types', () => {
  const dir = path.join(scratch.dir, 'typecheck');
  fs.mkdirSync(dir);
  fs.symlinkSync(path.join(scratch.dir, 'node_modules'), path.join(dir, 'node_modules'));
  for (const m of modules) fs.writeFileSync(path.join(dir, m.file), m.code + '\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', lib: ['ES2022'],
      types: ['node'], noEmit: true, allowJs: true, checkJs: true, skipLibCheck: true,
    },
    files: modules.map((m) => m.file),
  }));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
  // Each diagnostic as README.md:LINE, so a failure points at the line to fix.
  const byFile = new Map(modules.map((m) => [m.file, m]));
  const errors = (r.stdout + r.stderr).split('\n').filter(Boolean).map((l) => {
    const at = /^(\S+?)\((\d+),\d+\): (.*)$/.exec(l);
    const m = at && byFile.get(at[1]);
    return m ? `README.md:${m.firstLine + Number(at[2]) - 1}: ${at[3]}` : l;
  });
  expect(errors).toEqual([]);
  expect(r.status).toBe(0);
}, 120_000);

/** Every absolute path a runnable block names, as the scratch file of the same name. */
function scratchPaths(code: string, files: string): string {
  return code.replace(/'(\/[^'\s]+)'/g, (_, p: string) => JSON.stringify(path.join(files, path.basename(p))).replace(/"/g, "'"));
}

describe('the README blocks that read only files they name run', () => {
  const runnable = modules.filter((m) => m.block.mode !== 'typecheck-only');
  let files: string;
  beforeAll(() => {
    // The history every runnable block reads: records utmpdump -r wrote, under the names the README gives.
    files = path.join(scratch.dir, 'files');
    fs.mkdirSync(files);
    const records = binary(richFixture());
    for (const name of ['wtmp', 'wtmp.1', 'btmp']) fs.writeFileSync(path.join(files, name), records);
    for (const name of ['wtmp.1.gz', 'wtmp.2.gz']) fs.writeFileSync(path.join(files, name), zlib.gzipSync(records));
  });

  test.each(runnable.map((m) => [`README.md:${m.firstLine}`, m] as const))('%s', (_, m) => {
    // Never the machine's own databases: a block that reads them by default is marked typecheck-only.
    const readsTheSystem = /new (UtmpFile|LastlogFile)\(\)|\b(users|usersAsync|bootTime|bootTimeAsync|runLevel|runLevelAsync|logindSessions|logindSessionsAsync|failedLogins|failedLoginsAsync|watch)\(|\b(sessions|sessionsAsync)\(\)|\blastLogin(Async)?\('[^']*'\)/;
    expect([m.file, readsTheSystem.test(m.code)]).toEqual([m.file, false]);
    const code = scratchPaths(m.code, files);
    expect(code).not.toMatch(/'\/(var|run|etc|mnt)\//);
    const js = m.block.lang === 'ts'
      ? ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
      : code;
    const file = path.join(scratch.dir, m.file.replace(/\.mts$/, '.mjs').replace(/\.cts$/, '.cjs'));
    fs.writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: scratch.dir, input: binary(richFixture()), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // A block that prints prints the records: alice logged in on pts/1 in every scratch file.
    if (/console\.log/.test(code)) expect(r.stdout).toContain('alice');
  }, 90_000);
});

describe('the README names what the package has', () => {
  const readme = fs.readFileSync(README, 'utf8');
  // Named: as an identifier inside some `code span` of the README.
  const spans = [...readme.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  const named = (name: string) => spans.some((span) => new RegExp(`(^|[^\\w$])${name}($|[^\\w$])`).test(span));

  test('every export of the package', () => {
    const exports = Object.keys(require(path.join(ROOT, 'dist', 'index.js'))).filter((n) => n !== '__esModule' && n !== 'default');
    expect(exports.length).toBeGreaterThan(30);
    expect(exports.filter((n) => !named(n))).toEqual([]);
  });

  // The options and fields of the public shapes, as their types declare them (inherited ones too).
  const shapes = ['UtmpFileOptions', 'UsersOptions', 'FailedLoginsOptions', 'SessionsOptions', 'LastlogFileOptions', 'WatchOptions',
    'UtmpEntry', 'Session', 'LastlogEntry'];
  let program: ts.Program;
  beforeAll(() => {
    program = ts.createProgram([path.join(ROOT, 'lib', 'index.ts')], { strict: true, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: ['node'] });
  }, 60_000);
  test.each(shapes)('every member of %s', (shape) => {
    const checker = program.getTypeChecker();
    const index = checker.getSymbolAtLocation(program.getSourceFile(path.join(ROOT, 'lib', 'index.ts'))!)!;
    const symbol = checker.getExportsOfModule(index).find((s) => s.name === shape)!;
    const type = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(symbol));
    const members = checker.getPropertiesOfType(type).map((p) => p.name);
    expect(members.length).toBeGreaterThan(2);
    expect(members.filter((n) => !named(n))).toEqual([]);
  });
});

test('every npm script the package has is named in the README', () => {
  const readme = fs.readFileSync(README, 'utf8');
  const scripts = Object.keys(require(path.join(ROOT, 'package.json')).scripts as Record<string, string>)
    .filter((s) => !['install', 'prepare', 'start', 'test'].includes(s)); // npm's own lifecycle names, said as npm install/start/test
  expect(scripts.filter((s) => !readme.includes(`npm run ${s}`))).toEqual([]);
});
