/**
 * who's time column follows LC_TIME as coreutils' who does: `Jan 16 23:44` in
 * the C locale (C, POSIX, unset, or a locale that is not installed, which
 * setlocale cannot load), `2013-01-16 23:44` in any other; who -H pads TIME to
 * match. The oracle is coreutils' who on the same file, in the same environment.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { utmpxIn } from './helpers/cli-run';
import { testWith } from './helpers/tools';
import { tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const whoTest = testWith('who');
const FILE = path.join(__dirname, 'fixtures/peers/util-linux-utmpdump/ts/wtmp-b.LE');
const installed = (name: string) => execFileSync('locale', ['-a'], { encoding: 'utf8' }).split('\n')
  .some((l) => l.toLowerCase().replace(/-/g, '') === name.toLowerCase().replace(/-/g, ''));

/** The environment without any locale variable, then `vars`. */
function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC' };
  for (const k of Object.keys(env)) if (k === 'LANG' || k.startsWith('LC_')) delete env[k];
  return { ...env, ...vars };
}

const ENVS: Array<[string, Record<string, string>]> = [
  ['LC_ALL=C', { LC_ALL: 'C' }],
  ['LC_ALL=POSIX', { LC_ALL: 'POSIX' }],
  ['no locale variable', {}],
  ['LC_ALL=C.UTF-8', { LC_ALL: 'C.UTF-8' }],
  ['LANG=C.UTF-8 LC_TIME=C', { LANG: 'C.UTF-8', LC_TIME: 'C' }],
  ['LANG=C LC_TIME=C.UTF-8', { LANG: 'C', LC_TIME: 'C.UTF-8' }],
  ['LC_ALL=C LC_TIME=C.UTF-8 (LC_ALL wins)', { LC_ALL: 'C', LC_TIME: 'C.UTF-8' }],
  [`LC_ALL=en_US.UTF-8 (${installed('en_US.utf8') ? 'installed' : 'not installed here: C'})`, { LC_ALL: 'en_US.UTF-8' }],
  ['LC_ALL=xx_XX.UTF-8 (no such locale: C)', { LC_ALL: 'xx_XX.UTF-8' }],
];

let dir: string;
let cleanup: () => void;
let boots: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-who-locale-'));
  const time = '2026-11-22T05:20:00,000000+00:00';
  boots = writeWithUtmpdump(path.join(dir, 'boots'), [
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time },
    { type: 1, pid: 0x35 + 256 * 0x4e, id: '~~', user: 'runlevel', line: '~', host: '6.1.0', addr: '0.0.0.0', time },
    { type: 7, pid: 1, id: 'ts/1', user: 'alice', line: 'pts/1', host: '', addr: '0.0.0.0', time },
  ]);
});
afterAll(() => cleanup());

describe.each(ENVS)('%s', (_, vars) => {
  whoTest.each(['', '-a -H'])('who %s: as coreutils prints it', (flags) => {
    const env = envWith(vars);
    for (const file of [FILE, boots]) {
      const args = [...flags.split(' ').filter(Boolean), file];
      const theirs = execFileSync('who', args, { env }).toString('utf8');
      const ours = utmpxIn(env, 'who', ...args);
      expect([ours.status, ours.stderr]).toEqual([0, '']);
      expect([file, ours.stdout]).toEqual([file, theirs]);
    }
    expect(utmpxIn(env, 'who', '-b', boots).stdout).toMatch(/ (Nov 22|2026-11-22) 05:20/); // a time was compared
  });
});

whoTest('the two forms are both met: C and C.UTF-8 differ', () => {
  const c = utmpxIn(envWith({ LC_ALL: 'C' }), 'who', FILE).stdout;
  const utf8 = utmpxIn(envWith({ LC_ALL: 'C.UTF-8' }), 'who', FILE).stdout;
  expect(c).toContain(' Jan 16 23:44 ');
  expect(utf8).toContain(' 2013-01-16 23:44 ');
});
