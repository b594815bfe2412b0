/**
 * The house plan of lib/ (DEVELOPMENT.md): no import circles, and no arrow
 * running back up the layers. Imports are read from the source text, type
 * imports included (a circle of types is still a misplaced definition).
 */
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.resolve(__dirname, '../lib');


/** The layers, lowest first: a module may import from its own layer and the ones before it. */
export const LAYERS = ['platform', 'model', 'records', 'sources', 'pairing', 'readers', 'watch', 'index', 'cli'] as const;

/**
 * The layer of a module (a path relative to lib/, with `/`): its folder; the
 * lib/ root holds the public readers, and index.ts, the package's entry, all
 * that the package exports.
 */
export function layerOf(rel: string): number {
  const folder = rel === 'index.ts' ? 'index' : rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : 'readers';
  const i = (LAYERS as readonly string[]).indexOf(folder);
  if (i < 0) throw new Error(`lib/${rel}: its folder is in no layer; add it to LAYERS and to DEVELOPMENT.md`);
  return i;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(full) : d.name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative modules `source` imports or re-exports (`import ... from`, `export ... from`, `import('...')`, `require('...')`). */
export function importsOf(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  const patterns = [
    /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const p of patterns) for (const m of text.matchAll(p)) if (m[1].startsWith('.')) found.add(m[1]);
  return [...found];
}

/** The graph of lib/: each module (relative to lib/) to the lib modules it imports. */
export function importGraph(lib: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(lib)) {
    const rel = path.relative(lib, file).split(path.sep).join('/');
    const targets: string[] = [];
    for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
      const base = path.resolve(path.dirname(file), spec);
      const target = [base + '.ts', path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
      if (target && target.startsWith(lib + path.sep)) targets.push(path.relative(lib, target).split(path.sep).join('/'));
    }
    graph.set(rel, targets);
  }
  return graph;
}

/** Every circle in `graph`, each once, as the modules along it. */
export function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 'open');
    stack.push(m);
    for (const t of graph.get(m) ?? []) {
      if (state.get(t) === 'open') {
        const circle = stack.slice(stack.indexOf(t));
        const key = [...circle].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          found.push([...circle, t]);
        }
      } else if (!state.has(t)) {
        visit(t);
      }
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of [...graph.keys()].sort()) if (!state.has(m)) visit(m);
  return found;
}

/** Every import from a lower layer to a higher one, as `from -> to`. */
export function upwardArrows(graph: Map<string, string[]>): string[] {
  const wrong: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) if (layerOf(to) > layerOf(from)) wrong.push(`${from} (${LAYERS[layerOf(from)]}) -> ${to} (${LAYERS[layerOf(to)]})`);
  }
  return wrong.sort();
}

describe('the house plan of lib/', () => {
  const graph = importGraph(LIB);

  test('the parser finds the imports of every form lib/ uses', () => {
    const text = [
      "import * as fs from 'fs';",
      "import type { A } from './a';",
      "import {\n  B,\n  type C,\n} from '../b/c';",
      "export { D } from './d';",
      "export type { E } from './e';",
      "export * from './f';",
      "import './g';",
      "const h = require('../h');",
      "// import { X } from './commented';",
      "/* export { Y } from './commented-too'; */",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(['../b/c', '../h', './a', './d', './e', './f', './g']);
  });

  test('it sees the real graph (a known arrow is in it)', () => {
    expect(graph.get('sessions.ts')).toContain('utmp-file.ts');
    expect(graph.size).toBeGreaterThan(40);
  });

  test('no import circles', () => {
    expect(circles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  test('no arrow runs back up the layers (platform < model < records < sources < pairing < readers < watch < index < cli)', () => {
    expect(upwardArrows(graph)).toEqual([]);
  });

  test('a circle and an upward arrow are found when they exist', () => {
    const made = new Map([
      ['records/a.ts', ['platform/b.ts']],
      ['platform/b.ts', ['records/a.ts']],
      ['cli/c.ts', []],
    ]);
    expect(circles(made)).toEqual([['platform/b.ts', 'records/a.ts', 'platform/b.ts']]);
    expect(upwardArrows(made)).toEqual(['platform/b.ts (platform) -> records/a.ts (records)']);
  });
});

describe('DEVELOPMENT.md, the "how to add" lists', () => {
  const root = path.resolve(__dirname, '..');
  const doc = fs.readFileSync(path.join(root, 'DEVELOPMENT.md'), 'utf8').replace(/\s+/g, ' ');

  test('every file and folder it names exists (a `<name>` stands for the new one)', () => {
    const named = [...doc.matchAll(/`((?:lib|src-native|test|scripts)\/[^`<>]*|binding\.gyp|package\.json)`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(25);
    expect(named.filter((p) => !fs.existsSync(path.join(root, p)))).toEqual([]);
  });

  test('every module the layout table names is in its folder', () => {
    const table = fs.readFileSync(path.join(root, 'DEVELOPMENT.md'), 'utf8').split('\n').filter((l) => /^\| \d+ \| `lib\//.test(l));
    expect(table.length).toBe(LAYERS.length);
    const missing: string[] = [];
    for (const row of table) {
      const folder = /^\| \d+ \| `(lib\/[\w-]*\/?)/.exec(row)![1];
      const dir = folder.endsWith('/') ? folder : 'lib/';
      for (const m of row.matchAll(/`([\w-]+\.ts)`/g)) if (!fs.existsSync(path.join(root, dir, m[1]))) missing.push(dir + m[1]);
    }
    expect(missing).toEqual([]);
  });

  test('what it says is where (`name` in `file`, and the steps it names) is there', () => {
    const claims = [...doc.matchAll(/`(\w+)` in `([\w./-]+)`/g)].map((m) => [m[2], m[1]]);
    claims.push(
      ['lib/platform/platform.ts', 'chooseHistory'], ['lib/platform/platform.ts', 'chooseLastlog'], ['lib/platform/platform.ts', 'chooseLiveSource'],
      ['lib/platform/platform.ts', 'chooseSource'], ['lib/platform/platform.ts', 'NUMBERING_OF'], ['lib/platform/native.ts', 'NativePlatform'],
      ['lib/sessions.ts', 'historyOf'], ['lib/sources/history.ts', 'HistorySource'], ['lib/model/data-source.ts', 'DataSource'],
      ['lib/cli/main.ts', 'COMMANDS'], ['lib/cli/common.ts', 'interface Command'], ['package.json', './man/utmpx-last.1'],
      ['test/platform.test.ts', "'openbsd'"],
    );
    expect(claims.length).toBeGreaterThan(13);
    expect(claims.filter(([file, text]) => !fs.readFileSync(path.join(root, file), 'utf8').includes(text))).toEqual([]);
  });

  test('every folder of lib/ is in the layout table, and every layer in the order the test holds', () => {
    const folders = fs.readdirSync(LIB, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const f of folders) expect(doc).toContain(`\`lib/${f}/\``);
    const order = LAYERS.map((l) => (l === 'readers' ? '`lib/` root' : l === 'index' ? '`lib/index.ts`' : `\`lib/${l}/\``));
    const at = order.map((o) => doc.indexOf(o));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });
});
