/**
 * Error messages say what is true (issue 21): "this system may keep no such
 * database" only where the caller named no file (a file the user named is
 * just missing), and the no-utmp message names which of logind's pieces is
 * missing here: libsystemd, /run/systemd/system, the session directory.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LASTLOG2_PATH, LastlogFile, lastLogin, sessions, sessionsAsync } from '../lib';
import { CLI, noLiveUtmp } from './helpers/cli-run';
import { testUnless } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';

const HINT = /no such database/;
let scratch: ReturnType<typeof tempDir>;
let missing: string;
beforeAll(() => {
  scratch = tempDir('utmpx-hints-');
  missing = path.join(scratch.dir, 'not-here');
});
afterAll(() => scratch.cleanup());

function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, TZ: 'UTC', ...env }, encoding: 'utf8' });
}

function caught(read: () => unknown): NodeJS.ErrnoException {
  try {
    read();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('no error');
}

describe('a missing file the user named: ENOENT naming it, and no guess about the system', () => {
  test.each([
    ['lastlog', (f: string) => () => new LastlogFile(f).get(0)],
    ['lastlog, iterated', (f: string) => () => [...new LastlogFile(f)]],
    ['lastLogin', (f: string) => () => lastLogin(0, f)],
    ['lastlog2', (f: string) => () => new LastlogFile(f, { source: 'lastlog2' }).get('root')],
    ['lastlog2, iterated', (f: string) => () => [...new LastlogFile(f, { source: 'lastlog2' })]],
    ['wtmpdb', (f: string) => () => [...sessions(f, { source: 'wtmpdb' })]],
    ['wtmp', (f: string) => () => [...sessions(f)]],
  ] as const)('%s', (_, read) => {
    const err = caught(read(missing));
    expect([err.code, err.path]).toEqual(['ENOENT', missing]);
    expect(err.message).toContain(missing);
    expect(err.message).not.toMatch(HINT);
  });

  test('async readers too', async () => {
    for (const read of [
      () => new LastlogFile(missing).getAsync(0),
      () => new LastlogFile(missing, { source: 'lastlog2' }).toArrayAsync(),
      async () => { for await (const s of sessionsAsync(missing, { source: 'wtmpdb' })) void s; },
    ]) {
      const err = await read().then(() => new Error('no error'), (e: NodeJS.ErrnoException) => e) as NodeJS.ErrnoException;
      expect([err.code, err.path]).toEqual(['ENOENT', missing]);
      expect(err.message).not.toMatch(HINT);
    }
  });

  test.each([
    ['lastlog', '-f'],
    ['lastlog', '--source', 'lastlog2', '-f'],
    ['last', '--source', 'wtmpdb', '-f'],
    ['last', '-f'],
    ['dump', '-f'],
  ])('utmpx %s %s ... FILE', (...args) => {
    const r = cli({}, ...args, missing);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^utmpx: ENOENT: /);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).not.toMatch(HINT);
  });
});

// Reading the system's own lastlog2.db only where it is missing: the tests never touch a real database.
testUnless(fs.existsSync(LASTLOG2_PATH) ? `this machine keeps ${LASTLOG2_PATH}` : null)(
  'the system\'s own database missing, no file named: the hint that this system may keep none', async () => {
    const err = caught(() => new LastlogFile(undefined, { source: 'lastlog2' }).get('root'));
    expect([err.code, err.path]).toEqual(['ENOENT', LASTLOG2_PATH]);
    expect(err.message).toMatch(/this system may keep no such database/);
    const asyncErr = await new LastlogFile(undefined, { source: 'lastlog2' }).toArrayAsync().catch((e: Error) => e);
    expect((asyncErr as Error).message).toMatch(/this system may keep no such database/);
    const r = cli({}, 'lastlog', '--source', 'lastlog2');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/this system may keep no such database/);
  });

describe('no utmp and no logind: the message names what is missing', () => {
  // The oracle: the same facts, looked at here.
  const booted = fs.existsSync('/run/systemd/system');
  const sessionsDir = fs.existsSync('/run/systemd/sessions');

  testUnless(noLiveUtmp ? null : 'this machine keeps a utmp')('who, users, boot with no sd-login library', () => {
    for (const command of ['who', 'users', 'boot']) {
      const r = cli({ UTMPX_LOGIND_LIBRARY: '' }, command);
      expect([command, r.status, r.stdout]).toEqual([command, 0, '']);
      const message = r.stderr;
      expect(message).toMatch(/^utmpx: ENOENT: no utmp database at '.*utmp', and no systemd-logind sessions to read instead \(.*\): /);
      expect(message).toContain('no libsystemd');
      expect(message.includes('no /run/systemd/system')).toBe(!booted);
      expect(message.includes('no session directory /run/systemd/sessions')).toBe(!sessionsDir);
      expect(message).not.toMatch(/\bor\b/); // each reason said as a fact, not a guess between two
    }
  });

  testUnless(noLiveUtmp ? null : 'this machine keeps a utmp')('the library says the same (users())', () => {
    const r = spawnSync(process.execPath, ['-e', `try { require('./dist').users(); } catch (e) { console.log(JSON.stringify([e.code, e.message])); }`], {
      cwd: path.resolve(__dirname, '..'), env: { ...process.env, UTMPX_LOGIND_LIBRARY: 'libutmpx-no-such-library.so.0' }, encoding: 'utf8',
    });
    const [code, message] = JSON.parse(r.stdout) as [string, string];
    expect(code).toBe('ENOENT');
    expect(message).toContain('no libsystemd');
    expect(message.includes('no /run/systemd/system')).toBe(!booted);
  });
});
