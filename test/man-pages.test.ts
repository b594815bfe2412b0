/**
 * Man pages (issue 21): `utmpx(1)` and one page per subcommand, written by
 * scripts/write-man.js from the help text, installed through package.json's
 * `man` field. Each page renders with man(1) (or groff) without a warning and
 * lists every option `--help` lists. The options are read from the printed
 * help here, not from help.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { utmpx } from './helpers/cli-run';
import { tempDir } from './helpers/utmpdump';
import { describeWith } from './helpers/tools';

const ROOT = path.join(__dirname, '..');
const commands = utmpx('--help').stdout.split('Commands:\n')[1].split('\n\n')[0].split('\n').map((l) => l.trim().split(' ')[0]);
const has = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
const renderer = has('man') ? 'man' : has('groff') ? 'groff' : null;

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-man-'));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/write-man.js'), dir], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
afterAll(() => cleanup());

/** A page as text: LC_ALL=C for ASCII hyphens, wide enough that no option is hyphenated, no overstrike. */
function render(page: string): { status: number | null; text: string; stderr: string } {
  // No LD_PRELOAD: under npm run test:asan libasan would be preloaded into troff, which it then aborts.
  const env = { ...process.env, LC_ALL: 'C', MANWIDTH: '250', MAN_KEEP_FORMATTING: '', LD_PRELOAD: '' };
  const r = renderer === 'man'
    ? spawnSync('man', ['--warnings', '-l', '-P', 'cat', page], { env, encoding: 'utf8' })
    : spawnSync('groff', ['-man', '-Tascii', '-ww', '-rLL=250n', page], { env, encoding: 'utf8' });
  return { status: r.status, text: r.stdout.replace(/.\x08/g, ''), stderr: r.stderr };
}

test('package.json installs a page per command and utmpx(1), and packs them', () => {
  const pkg = require('../package.json');
  expect([...pkg.man].sort()).toEqual(['utmpx', ...commands.map((c) => `utmpx-${c}`)].map((n) => `./man/${n}.1`).sort());
  expect(pkg.files).toContain('man/');
  expect(pkg.scripts['build:ts']).toContain('scripts/write-man.js');
});

test('a page is written for every command', () => {
  for (const c of ['utmpx', ...commands.map((n) => `utmpx-${n}`)]) expect(fs.existsSync(path.join(dir, `${c}.1`))).toBe(true);
});

(renderer ? describe : describeWith('man'))(`pages rendered with ${renderer ?? 'man'}`, () => {
  test('utmpx(1) names every command and its page', () => {
    const r = render(path.join(dir, 'utmpx.1'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const c of commands) expect(r.text).toContain(`utmpx-${c}(1)`);
  });

  test.each(commands)('utmpx-%s(1) lists every option its --help lists, and its synopsis', (command) => {
    const r = render(path.join(dir, `utmpx-${command}.1`));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const help = utmpx(command, '--help').stdout;
    const usage = /^Usage: (.*)$/m.exec(help)![1];
    expect(r.text.replace(/\s+/g, ' ')).toContain(usage.replace(/\s+/g, ' '));
    const options = [...help.matchAll(/^ {2}(?:(-[A-Za-z0-9])(?:, (--[a-z][\w-]*))?| {4}(--[a-z][\w-]*))/gm)];
    expect(options.length).toBeGreaterThan(0);
    for (const m of options) {
      const term = m[3] ?? (m[2] ? `${m[1]}, ${m[2]}` : m[1]);
      expect([command, term, r.text.includes(term)]).toEqual([command, term, true]);
    }
  });
});
