/**
 * shadow's own lastlog test cases (test/fixtures/peers/shadow-lastlog/, see its
 * README), each run twice: by the installed shadow `lastlog -R ROOT` and by
 * `utmpx lastlog -R ROOT`, on a root built as the case's script builds it.
 * utmpx must print what the installed lastlog prints, byte for byte, and pass
 * the case's own check (its data/ file after the script's cut and grep).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { utmpxIn } from './helpers/cli-run';
import { LASTLOG_RECORD, lastlogRecord } from './helpers/lastlog';
import { tempDir } from './helpers/utmpdump';
import { testUnless, testWith } from './helpers/tools';

const CASES = path.join(__dirname, 'fixtures/peers/shadow-lastlog');
const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C' };
// shadow's lastlog -R chroots: root only. Debian 13's login has no lastlog.
const shadowTest = process.getuid?.() === 0 ? testWith('lastlog') : testUnless("not root: shadow's lastlog -R needs chroot(2)");

interface Case {
  name: string;
  /** Whether the script removes /var/log/lastlog (else it empties it). */
  noFile: boolean;
  /** The logins its login.exp makes, and how many days ago. */
  logins: Array<{ user: string; daysAgo: number }>;
  /** The arguments of its `lastlog` command. */
  args: string[];
  /** The script expects lastlog to fail. */
  fails: boolean;
  /** Its check drops the "Never logged in" rows. */
  loggedInOnly: boolean;
}

/** What a case's lastlog.test does, read from the script. */
function readCase(name: string): Case {
  const script = fs.readFileSync(path.join(CASES, name, 'lastlog.test'), 'utf8');
  const logins = [...script.matchAll(/^(?:LD_PRELOAD=\S+ PAST_DAYS=(\d+) )?\.\/login\.exp(?: (\S+))?$/gm)]
    .map((m) => ({ user: m[2] ?? 'foo', daysAgo: Number(m[1] ?? 0) }));
  const command = /^lastlog(.*?)\s*(?:2?>.*)?$/m.exec(script);
  if (!command) throw new Error(`${name}: no lastlog command`);
  return {
    name,
    noFile: /^rm -f \/var\/log\/lastlog$/m.test(script),
    logins,
    args: command[1].trim().split(/\s+/).filter(Boolean),
    fails: /&& exit 1/.test(command[0]),
    loggedInOnly: /grep -v "Never logged in"/.test(script),
  };
}

const cases = fs.readdirSync(CASES).filter((n) => fs.existsSync(path.join(CASES, n, 'lastlog.test'))).sort().map(readCase);

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-shadow-lastlog-')));
afterAll(() => cleanup());

/** The case's root: its passwd, and its lastlog file with its logins (now: by `lastlog -S`; in the past: a record at uid * size). */
function buildRoot(c: Case): string {
  const root = path.join(dir, c.name);
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
  fs.copyFileSync(path.join(CASES, c.name, 'config/etc/passwd'), path.join(root, 'etc/passwd'));
  const file = path.join(root, 'var/log/lastlog');
  if (c.noFile) return root;
  fs.writeFileSync(file, '');
  const uids = new Map(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(':')).map((f) => [f[0], Number(f[2])] as const));
  for (const login of c.logins) {
    if (login.daysAgo === 0) {
      execFileSync('lastlog', ['-R', root, '-S', '-u', login.user], { env });
    } else {
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, lastlogRecord(Math.floor(Date.now() / 1000) - login.daysAgo * 86400, 'pts/0', ''), 0, LASTLOG_RECORD, uids.get(login.user)! * LASTLOG_RECORD);
      fs.closeSync(fd);
    }
  }
  return root;
}

/** What the case's script compares with its data/ file: the first field of each row (cut -d" " -f1). */
function firstFields(out: string, loggedInOnly: boolean): string {
  return out.split('\n').slice(0, -1).filter((l) => !loggedInOnly || !l.includes('Never logged in')).map((l) => l.split(' ')[0] + '\n').join('');
}

test('every case of shadow is here and read', () => {
  expect(cases.map((c) => c.name.slice(0, 2))).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(2, '0')));
  expect(cases.filter((c) => c.logins.length).map((c) => c.name.slice(0, 2))).toEqual(['03', '04', '17', '18']);
});

describe.each(cases)('shadow case $name', (c) => {
  shadowTest(`lastlog ${c.args.join(' ')}: as the installed lastlog, and as the case checks`, () => {
    const root = buildRoot(c);
    const theirs = spawnSync('lastlog', ['-R', root, ...c.args], { env, encoding: 'latin1' });
    const ours = utmpxIn(env, 'lastlog', '-R', root, ...c.args);
    const data = (file: string) => fs.readFileSync(path.join(CASES, c.name, 'data', file), 'utf8');
    const expected = fs.readdirSync(path.join(CASES, c.name, 'data'))[0];
    if (c.args.includes('-h')) {
      // The usage text is utmpx's own: it offers each option shadow's names.
      expect(ours.status).toBe(0);
      for (const option of data(expected).match(/ -\w, --\w+/g)!.filter((o) => o !== ' -h, --help')) expect(ours.stdout).toContain(option);
      return;
    }
    if (c.fails) {
      // The first line of shadow's message (not its usage text), and a failure.
      const message = data(expected).split('\n')[0].replace(/^lastlog: /, '');
      expect(ours.status).not.toBe(0);
      expect(ours.stdout).toBe('');
      const oursMessage = ours.stderr.split('\n')[0];
      if (message.startsWith('invalid numeric argument')) {
        // shadow 4.13 takes these (README); newer shadow and utmpx refuse them, naming the value.
        expect(oursMessage).toContain(message.replace(/^.*'(.*)'$/, '$1'));
      } else if (message.startsWith('/var/log/lastlog')) {
        expect(theirs.status).toBe(1);
        expect(oursMessage).toMatch(/ENOENT/);
        expect(ours.status).toBe(1);
        expect(fs.existsSync(path.join(root, 'var/log/lastlog'))).toBe(false);
      } else {
        expect(theirs.status).not.toBe(0);
        expect(oursMessage).toContain(message.replace(/: foo$/, " 'foo'"));
        if (/Unknown user/.test(message)) expect([ours.status, ours.stderr]).toEqual([theirs.status, `utmpx ${theirs.stderr}`]);
      }
      return;
    }
    expect(theirs.status).toBe(0);
    expect([ours.status, ours.stderr]).toEqual([0, '']);
    expect(ours.stdout).toBe(theirs.stdout);
    if (expected === 'lastlog.list') expect(firstFields(ours.stdout, c.loggedInOnly)).toBe(data(expected));
    else expect(firstFields(ours.stdout, false)).toBe(firstFields(data(expected), false) + 'foo\n'); // 03: its rows, then foo's login
  });
});
