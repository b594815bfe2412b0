/**
 * `utmpx lastlog` against shadow's lastlog(8) reading the same file inside a
 * chroot directory of the test's own (`lastlog -R DIR`, so /var/log/lastlog
 * is never touched): `-u 0` by name, the header of an empty file, -b and -t.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { utmpxIn } from './helpers/cli-run';
import { LASTLOG_RECORD, lastlogRecord } from './helpers/lastlog';
import { tempDir } from './helpers/utmpdump';
import { testUnless, testWith } from './helpers/tools';

const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };
// shadow's lastlog -R chroots: root only. Debian 13's login has no lastlog.
const shadowTest = process.getuid?.() === 0 ? testWith('lastlog') : testUnless("not root: shadow's lastlog -R needs chroot(2)");

let dir: string;
let cleanup: () => void;
let root: string;
let file: string;
// Accounts on this machine (names resolve alike inside and outside the chroot).
const accounts: Array<{ name: string; uid: number }> = [];

function hostName(uid: number): string | null {
  const r = spawnSync('getent', ['passwd', String(uid)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(':')[0] : null;
}

const shadow = (...args: string[]) => execFileSync('lastlog', ['-R', root, ...args], { env }).toString('latin1');
const ours = (...args: string[]) => utmpxIn(env, 'lastlog', '-R', root, ...args);

beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-lastlog-'));
  root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
  for (const uid of [0, 1, 2, 3]) {
    const name = hostName(uid);
    if (name) accounts.push({ name, uid });
  }
  fs.writeFileSync(path.join(root, 'etc/passwd'), accounts.map((a) => `${a.name}:x:${a.uid}:${a.uid}::/:/bin/sh\n`).join(''));
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  file = path.join(root, 'var/log/lastlog');
  // uid 0 never logged in; uid 1 ten days ago; uid 2 an hour ago; uid 3 (if any) never.
  const now = Math.floor(Date.now() / 1000);
  const buf = Buffer.alloc(3 * LASTLOG_RECORD);
  lastlogRecord(now - 10 * 86400, 'pts/1', '10.0.0.1').copy(buf, LASTLOG_RECORD);
  lastlogRecord(now - 3600, 'pts/2', 'example.org').copy(buf, 2 * LASTLOG_RECORD);
  fs.writeFileSync(file, buf);
});
afterAll(() => cleanup());

shadowTest('-u 0 prints root (the account name), as lastlog -u 0 does', () => {
  const theirs = shadow('-u', '0');
  expect(theirs).toContain(`\n${accounts[0].name} `);
  expect(ours('-u', '0').stdout).toBe(theirs);
  expect(ours('-u', '2').stdout).toBe(shadow('-u', '2'));
});

shadowTest('an empty file: the header, then every account as never logged in, as lastlog prints them', () => {
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(path.join(empty, 'var/log'), { recursive: true });
  fs.cpSync(path.join(root, 'etc'), path.join(empty, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(empty, 'var/log/lastlog'), '');
  const theirs = execFileSync('lastlog', ['-R', empty], { env }).toString('latin1');
  expect(theirs.split('\n')).toHaveLength(accounts.length + 2);
  const r = utmpxIn(env, 'lastlog', '-R', empty);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(theirs);
});

shadowTest.each([['-t', '1'], ['-t', '20'], ['-b', '1'], ['-b', '20']])('%s %s keeps the logins lastlog keeps', (opt, days) => {
  const theirs = shadow(opt, days);
  expect(ours(opt, days).stdout).toEqual(theirs);
  expect(theirs.split('\n').length).toBeGreaterThan(2); // the header and a row at least
});

shadowTest('-u with -b/-t: one user, kept or not as lastlog does', () => {
  for (const args of [['-u', '0', '-b', '1'], ['-u', '0', '-t', '1'], ['-u', '1', '-t', '1'], ['-u', '1', '-b', '1'], ['-u', '2', '-t', '1']]) {
    expect([args, ours(...args).stdout]).toEqual([args, shadow(...args)]);
  }
});

test('-b and -t take a number of days', () => {
  expect(utmpxIn(env, 'lastlog', '-f', '/dev/null', '-t', 'x').status).toBe(2);
  expect(utmpxIn(env, 'lastlog', '-f', '/dev/null', '-b', '-1').status).toBe(2);
});
