/** The `utmpx` command, run as a user runs it, against who(1). */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { ORACLE_ENV, parseWho, utmpx } from './helpers/cli-run';
import { asUtf8, richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

let dir: string;
let cleanup: () => void;
let fixture: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  fixture = writeWithUtmpdump(path.join(dir, 'utmp'), richFixture().filter((r) => !r.time.startsWith('2040')));
});
afterAll(() => cleanup());

test('utmpx who -f FILE lists the same sessions as who FILE', () => {
  const ours = utmpx('who', '-f', fixture);
  expect(ours.status).toBe(0);
  const theirs = execFileSync('who', [fixture], { env: ORACLE_ENV }).toString('latin1');
  const expected = parseWho(theirs).map(([u, l, t, h]) => [asUtf8(u), l, t, asUtf8(h).replace('\uFFFD', '\\ufffd')]);
  const got = parseWho(ours.stdout);
  expect(got.length).toBeGreaterThan(3);
  expect(got.map((r) => r.slice(0, 3))).toEqual(expected.map((r) => r.slice(0, 3)));
  expect(got.map((r) => r[3].toLowerCase())).toEqual(expected.map((r) => r[3].toLowerCase().replace('\\ufffd', '\ufffd')));
});

test('utmpx who --json gives the entries as JSON', () => {
  const out = utmpx('who', '-f', fixture, '--json');
  const sessions = JSON.parse(out.stdout);
  expect(sessions.map((s: { ut_user: string }) => s.ut_user)).toContain('alice');
  expect(sessions.every((s: { ut_type: string }) => s.ut_type === 'USER_PROCESS')).toBe(true);
});

test('exit codes: 0 on success, 1 on a read error, 2 on a usage error', () => {
  expect(utmpx('who', '-f', fixture).status).toBe(0);
  const missing = utmpx('who', '-f', path.join(dir, 'missing'));
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain('ENOENT');
  expect(utmpx('who', '--bogus').status).toBe(2);
  expect(utmpx('frobnicate').status).toBe(2);
  expect(utmpx('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
});
