/**
 * `npm run docs` builds with no warning (issue 21): every type a public
 * signature names is exported, so typedoc documents it. typedoc runs with
 * nothing written (--emit none) and warnings as errors.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

test('typedoc: no warnings', () => {
  const typedoc = path.join(ROOT, 'node_modules/typedoc/bin/typedoc');
  const r = spawnSync(process.execPath, [typedoc, '--emit', 'none', '--treatWarningsAsErrors'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(r.stdout + r.stderr).not.toMatch(/\[warning\]|\[error\]/);
  expect(r.status).toBe(0);
}, 180_000);

test('npm run docs fails on a warning', () => {
  expect(require('../package.json').scripts.docs).toContain('--treatWarningsAsErrors');
});
