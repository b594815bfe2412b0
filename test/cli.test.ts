/** The `utmpx` command, run as a user runs it, against who(1). */
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { asUtf8, richFixture, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'latin1' });

let dir: string;
let cleanup: () => void;
let fixture: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  fixture = writeWithUtmpdump(path.join(dir, 'utmp'), richFixture().filter((r) => !r.time.startsWith('2040')));
});
afterAll(() => cleanup());

test('utmpx who -f FILE lists the same sessions as who FILE', () => {
  const ours = run('who', '-f', fixture);
  expect(ours.status).toBe(0);
  const theirs = execFileSync('who', [fixture], { env }).toString('latin1');
  const parse = (text: string) => text.split('\n').filter(Boolean).map((l) => {
    const m = /^(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d)(?:\s+\((.*)\))?$/.exec(l);
    if (!m) throw new Error(`unparsed line: ${l}`);
    return [m[1], m[2], m[3], m[4] ?? ''];
  });
  const expected = parse(theirs).map(([u, l, t, h]) => [asUtf8(u), l, t, asUtf8(h).replace('\uFFFD', '\\ufffd')]);
  const got = parse(Buffer.from(ours.stdout, 'latin1').toString('utf8'));
  expect(got.length).toBeGreaterThan(3);
  expect(got.map((r) => r.slice(0, 3))).toEqual(expected.map((r) => r.slice(0, 3)));
  expect(got.map((r) => r[3].toLowerCase())).toEqual(expected.map((r) => r[3].toLowerCase().replace('\\ufffd', '\ufffd')));
});

test('utmpx who --json gives the entries as JSON', () => {
  const out = run('who', '-f', fixture, '--json');
  const sessions = JSON.parse(Buffer.from(out.stdout, 'latin1').toString('utf8'));
  expect(sessions.map((s: { ut_user: string }) => s.ut_user)).toContain('alice');
  expect(sessions.every((s: { ut_type: string }) => s.ut_type === 'USER_PROCESS')).toBe(true);
});

test('exit codes: 0 on success, 1 on a read error, 2 on a usage error', () => {
  expect(run('who', '-f', fixture).status).toBe(0);
  const missing = run('who', '-f', path.join(dir, 'missing'));
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain('ENOENT');
  expect(run('who', '--bogus').status).toBe(2);
  expect(run('frobnicate').status).toBe(2);
  expect(run('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
});
