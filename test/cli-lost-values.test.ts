/**
 * No output of the CLI may show a value JavaScript lost: `NaN`, `undefined`,
 * `Invalid Date`, `[object Object]`. utmpxIn (helpers/cli-run.ts) checks every
 * run of every test; this one runs each subcommand with its main flag sets over
 * hostile inputs: lastlog2 and wtmpdb rows at INT64_MAX - 1000 (as liblastlog2's
 * y2038 test writes) and other times no Date holds, written by Python's sqlite3,
 * and a utmp file with a tv_usec above 999,999 written by utmpdump -r.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LOST_VALUE, utmpx } from './helpers/cli-run';
import { have, testWith } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';

const HOSTILE = path.join(__dirname, 'fixtures/sqlite/hostile/lastlog2-times.db');
const SUBSEC = path.join(__dirname, 'fixtures/peers/util-linux-utmpdump/ts/subsec');
const FAR = '9223372036854774807'; // INT64_MAX - 1000

let dir: string;
let cleanup: () => void;
let wtmpDb: string;
let lastlog2Db: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-lost-values-'));
  wtmpDb = path.join(dir, 'wtmp.db');
  lastlog2Db = path.join(dir, 'lastlog2.db');
  if (have('python3')) execFileSync('python3', ['-c', `
import sqlite3, sys
far = ${FAR}
w = sqlite3.connect(sys.argv[1])
w.execute("CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT")
w.executemany("INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?,?,?,?,?,?,?)", [
  (1, 'reboot', far - 10, None, '~', '6.12.0', None),
  (3, 'alice', far - 5, far, 'pts/0', '10.0.0.5', 'sshd'),
  (3, 'bob', far - 3, None, 'ssh', '', 'sshd'),
  (3, 'carol', -far, -far + 60, 'tty1', '', 'login'),
])
w.commit()
l = sqlite3.connect(sys.argv[2])
l.execute("CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)")
l.executemany("INSERT INTO Lastlog2 VALUES (?,?,?,?,?)", [
  ('root', far, 'ssh', '10.0.0.5', 'sshd'), ('daemon', -far, 'tty1', '', 'login'), ('bin', 0, None, None, None),
])
l.commit()
`, wtmpDb, lastlog2Db]);
});
afterAll(() => cleanup());

const LASTLOG_FLAGS = [[], ['-s'], ['-u', 'root'], ['--json'], ['--ndjson'], ['--iso']];
const LAST_FLAGS = [[], ['-x'], ['-F'], ['--iso'], ['-w'], ['--time-format', 'notime'], ['--time-format', 'full'], ['--time-format', 'iso'], ['--json'], ['--ndjson'], ['-n', '2']];

test('lastlog over lastlog2 rows past any Date (fixtures/sqlite/hostile)', () => {
  const db = HOSTILE;
  for (const flags of LASTLOG_FLAGS) {
    const r = utmpx('lastlog', '-f', db, ...flags); // utmpx() fails the test on a lost value
    expect([flags, r.stdout.length > 0]).toEqual([flags, true]);
  }
});

testWith('python3')('lastlog and last over lastlog2 and wtmpdb rows at INT64_MAX - 1000 (Python\'s sqlite3 writes them)', () => {
  for (const flags of LASTLOG_FLAGS) expect([flags, utmpx('lastlog', '-f', lastlog2Db, ...flags).stdout.length > 0]).toEqual([flags, true]);
  for (const flags of LAST_FLAGS) {
    const r = utmpx('last', '-f', wtmpDb, ...flags);
    expect([flags, r.stdout.length > 0]).toEqual([flags, true]);
  }
});

testWith('utmpdump')('dump, who, users, boot, last, lastb over a tv_usec above 999,999', () => {
  const file = path.join(dir, 'subsec.bin');
  fs.writeFileSync(file, execFileSync('utmpdump', ['-r'], { input: fs.readFileSync(SUBSEC), stdio: ['pipe', 'pipe', 'ignore'] }));
  for (const args of [['dump', file], ['dump', '--extended', file], ['dump', '--json', file], ['who', '-a', file], ['who', '--iso', file],
    ['users', file], ['boot', '-f', file], ['last', '-x', '-f', file], ['last', '-F', '-f', file], ['lastb', '-f', file], ['lastb', '--json', '-f', file]]) {
    expect([args, utmpx(...args).status]).toEqual([args, 0]);
  }
});

test('the check itself: each lost value is caught', () => {
  for (const text of ['x NaN y', 'undefined', 'Invalid Date', '[object Object]', ':NaN:']) expect(LOST_VALUE.test(text)).toBe(true);
  for (const text of ['NaNa', 'undefinedness', 'Nan']) expect(LOST_VALUE.test(text)).toBe(false);
});
