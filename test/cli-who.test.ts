/**
 * `utmpx who` and `utmpx users` with coreutils' options and positional FILE,
 * against who(1) and users(1) on the same file written by `utmpdump -r`, in UTC.
 * Terminal lines are ones no /dev holds, so the -T and -u columns are
 * the same '?' for both programs at any moment.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ORACLE_ENV, oracle, utmpx } from './helpers/cli-run';
import { type DumpRecord, dumpLine, tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

let dir: string;
let cleanup: () => void;
let utmp: string;

const t = (hms: string) => `2024-01-15T${hms},000000+00:00`;
const rec = (type: number, pid: number, id: string, user: string, line: string, host: string, time: string): DumpRecord =>
  ({ type, pid, id, user, line, host, addr: '0.0.0.0', time });

// Every record type who shows, in the order init and login write them, on lines /dev does not have.
const records = (): DumpRecord[] => [
  rec(2, 0, '~~', 'reboot', '~', '6.1.0-18-amd64', t('08:59:58')),
  rec(1, 0x35 + 256 * 0x4e, '~~', 'runlevel', '~', '6.1.0-18-amd64', t('09:00:05')),
  rec(5, 601, 'si', '', '', '', t('09:00:06')),
  rec(6, 602, 'Z9', 'LOGIN', 'ttyZ9', '', t('09:02:30')),
  rec(7, 4242, 's/77', 'alice', 'pts/77', '10.0.0.5', t('09:30:00')),
  rec(7, 4243, 's/78', 'bob', 'pts/78', 'example.org', t('09:31:00')),
  rec(7, 700, 'Z8', 'carol', 'ttyZ8', '', t('09:40:00')),
  rec(8, 4000, 's/79', '', 'pts/79', '', t('09:45:00')),
  rec(3, 0, '', '', '|', '', t('09:50:00')),
  rec(4, 0, '', '', '{', '', t('09:50:01')),
  rec(2, 0, '~~', 'reboot', '~', '6.1.0-18-amd64', t('10:59:58')),
];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-who-'));
  utmp = writeWithUtmpdump(path.join(dir, 'utmp'), records());
});
afterAll(() => cleanup());

const OPTIONS = ['', '-a', '-b', '-d', '-H', '-l', '-p', '-q', '-r', '-t', '-T', '-u', '-H -u', '-T -H', '-a -H', '-b -r', '-q -H', '-u -T', '-l -p -d'];

test.each(OPTIONS)('who %s FILE: the lines of coreutils who', (o) => {
  const args = o ? o.split(' ') : [];
  const theirs = oracle('who', ...args, utmp);
  const r = utmpx('who', ...args, utmp);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(theirs);
  expect(utmpx('who', ...args, '-f', utmp).stdout).toBe(theirs);
});

test('the fixture exercises every column', () => {
  const all = oracle('who', '-a', utmp);
  for (const s of ['system boot', 'run-level 5', 'id=si', 'LOGIN', 'term=0 exit=0', 'clock change', ' ? pts/77', '4242']) expect(all).toContain(s);
  expect(all.match(/system boot/g)).toHaveLength(2);
});

test('users FILE: the line of coreutils users', () => {
  const theirs = oracle('users', utmp);
  expect(theirs.trim().split(' ')).toHaveLength(3);
  expect(utmpx('users', utmp).stdout).toBe(theirs);
});

test('one file at a time', () => {
  expect(utmpx('who', utmp, utmp, utmp).status).toBe(2); // two words are `who am i`, as in coreutils
  expect(utmpx('users', '-f', utmp, utmp).status).toBe(2);
});

// who -m keeps the entries on the terminal of standard input. script(1) gives
// both programs the same new pty; the fixture names it, so it is written there.
describe('who -m and who am i, on a real terminal', () => {
  const OPTIONS_M = ['-m', '-m -H', '-m -a', '-m -u', '-m -q', '-m --json', 'am i'];
  const run = (inside: string) => {
    const script = path.join(dir, 'in-pty.sh');
    const mine = [...records(), rec(7, 5151, 'xx', 'dave', '@LINE@', 'mine.example', t('11:00:00')), rec(8, 5150, 'xx', '', '@LINE@', '', t('10:59:00'))];
    fs.writeFileSync(path.join(dir, 'template'), mine.map(dumpLine).join('\n') + '\n', 'latin1');
    fs.writeFileSync(script, `set -e\ncd '${dir}'\nline=$(tty); line=\${line#/dev/}\nsed "s,@LINE@,$line," template | utmpdump -r -o mine 2>/dev/null\n${inside}\n`);
    const r = spawnSync('script', ['-qec', `sh ${script}`, '/dev/null'], { env: ORACLE_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).toBe(0);
    return r.stdout.replace(/\r\n/g, '\n');
  };

  testWith('utmpdump').each(OPTIONS_M)('who %s FILE: the lines of coreutils who', (o) => {
    const args = o.split(' ');
    const fileArgs = args[0] === 'am' ? ['-f', 'mine', 'am', 'i'] : [...args, 'mine'];
    if (args[0] === 'am') {
      // `who am i` reads the system's database; with -f, utmpx reads the file, so compare with who -m FILE.
      const out = run(`who -m mine; echo ====; '${process.execPath}' '${CLI}' who ${fileArgs.join(' ')}`);
      const [theirs, ours] = out.split('====\n');
      expect(theirs).toContain('dave');
      expect(ours).toBe(theirs);
      return;
    }
    const out = run(`${args[1] === '--json' ? 'echo' : 'who'} ${args.join(' ')} mine; echo ====; '${process.execPath}' '${CLI}' who ${fileArgs.join(' ')}`);
    const [theirs, ours] = out.split('====\n');
    if (args[1] === '--json') {
      const entries = JSON.parse(ours) as { ut_user: string }[];
      expect(entries.map((e) => e.ut_user)).toEqual(['dave']);
      return;
    }
    expect(theirs).toContain(args[1] === '-q' ? 'users=' : 'dave');
    expect(ours).toBe(theirs);
  });

  test('who -m with standard input not a terminal prints nothing, as who does', () => {
    const theirs = spawnSync('who', ['-m', utmp], { env: ORACLE_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(theirs.stdout).toBe('');
    const r = utmpx('who', '-m', utmp);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });
});
