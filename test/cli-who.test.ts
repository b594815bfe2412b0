/**
 * `utmpx who` and `utmpx users` with coreutils' options and positional FILE,
 * against who(1) and users(1) on the same file written by `utmpdump -r`, in UTC.
 * Terminal lines are ones no /dev holds, so the -T and -u columns are
 * the same '?' for both programs at any moment.
 */
import * as path from 'path';
import { oracle, utmpx } from './helpers/cli-run';
import { type DumpRecord, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

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
  expect(utmpx('who', utmp, utmp).status).toBe(2);
  expect(utmpx('users', '-f', utmp, utmp).status).toBe(2);
});
