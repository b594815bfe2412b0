/**
 * Argument parsing as getopt does it (issue 21): a repeated value option, the
 * last one wins; a usage error is one line, as util-linux words it, and a hint
 * at the subcommand's help, never the whole help or parseArgs' own text.
 * util-linux `last` is the oracle where it applies.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { warningLine } from '../lib/cli/watch';
import { ORACLE_ENV, oracle, utmpx } from './helpers/cli-run';
import { testWith } from './helpers/tools';
import { tempDir, writeWithUtmpdump } from './helpers/utmpdump';

let cleanup: () => void;
let dir: string;
let wtmp: string;
let other: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-args-'));
  const rec = (type: number, pid: number, user: string, line: string, time: string) =>
    ({ type, pid, id: line.slice(-4), user, line, host: '10.0.0.5', addr: '10.0.0.5', time: `${time},000000+00:00` });
  wtmp = writeWithUtmpdump(path.join(dir, 'wtmp'), ['alice', 'bob', 'carol', 'dave', 'erin'].map((user, i) =>
    rec(7, 4242 + i, user, `pts/${i}`, `2024-01-1${i}T09:30:00`)));
  other = writeWithUtmpdump(path.join(dir, 'other'), [rec(7, 5000, 'zoe', 'pts/9', '2024-02-01T09:30:00')]);
});
afterAll(() => cleanup());

/** util-linux's last is the oracle: without it those tests skip, named. */
const lastTest = testWith('last');

/** util-linux last's stderr for `args`, as `utmpx last` words it. */
function lastSays(...args: string[]): string {
  const r = spawnSync('last', ['-f', wtmp, ...args], { env: ORACLE_ENV, encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  return r.stderr.replace(/^last: /, 'utmpx: last: ').replace("Try 'last --help'", "Try 'utmpx last --help'");
}

describe('a repeated value option: the last one wins, as getopt has it', () => {
  lastTest.each([
    [['-n', '2', '-n', '3']],
    [['-n', '4', '--limit', '1']],
    [['--limit=1', '-n2']],
    [['-2', '-n', '3']],
    [['-s', '2024-01-13', '--since', '2024-01-12']],
  ])('last %j prints what util-linux last prints', (opts) => {
    const r = utmpx('last', '-f', wtmp, ...opts);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(oracle('last', '-f', wtmp, ...opts));
  });

  test('last -n 2 -n 3 shows three sessions, not two', () => {
    const lines = utmpx('last', '-f', wtmp, '-n', '2', '-n', '3').stdout.split('\n').filter((l) => /^\w+\s+pts\//.test(l));
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['erin', 'dave', 'carol']);
  });

  test.each(['who', 'dump', 'users', 'boot', 'lastb'])('%s -f A -f B reads B', (command) => {
    const both = utmpx(command, '-f', wtmp, '-f', other, '--json');
    expect(both.stderr).toBe('');
    expect(both.status).toBe(0);
    expect(both.stdout).toBe(utmpx(command, '-f', other, '--json').stdout);
  });
});

describe('a usage error: one line as util-linux words it, then a hint', () => {
  lastTest.each([
    [['--foo']],
    [['-z']],
    [['-n']],
    [['--limit']],
    [['--nohostname=3']],
  ])('last %j', (opts) => {
    const r = utmpx('last', '-f', wtmp, ...opts);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(lastSays(...opts));
  });

  test.each(['who', 'users', 'last', 'lastb', 'dump', 'boot', 'lastlog', 'watch'])('%s --foo: two lines, quotes balanced', (command) => {
    const r = utmpx(command, '--foo');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`utmpx: ${command}: unrecognized option '--foo'\nTry 'utmpx ${command} --help' for more information.\n`);
  });

  test('an argument where none is taken', () => {
    const r = utmpx('boot', 'extra');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("utmpx: boot: unexpected argument 'extra'\nTry 'utmpx boot --help' for more information.\n");
  });

  test.each([['watch', '--format'], ['watch', 'extra'], ['watch', '--utmp=1']])('%s %s: one line as getopt words it, no parseArgs text', (command, arg) => {
    const r = utmpx(command, arg);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(3);
    expect(r.stderr).toMatch(/^utmpx: watch: (option '--format' requires an argument|unexpected argument 'extra'|option '--utmp' doesn't allow an argument)\n/);
    expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify|"--/);
  });

  test("last -n -1: the value is -1, not a count option of its own", () => {
    const r = utmpx('last', '-f', wtmp, '-n', '-1');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("utmpx: last: -n needs a whole number, not -1\nTry 'utmpx last --help' for more information.\n");
  });

  lastTest.each([[['-n', '1', '-2']], [['-1', '-2']], [['-12']], [['-n1', '-3']], [['-3', '-n', '1']]])('last %j: digit options add to the count as in util-linux', (opts) => {
    const r = utmpx('last', '-f', wtmp, ...opts);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(oracle('last', '-f', wtmp, ...opts));
  });

  test('an unknown command: the hint names the main help', () => {
    const r = utmpx('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("utmpx: unknown command: frobnicate\nTry 'utmpx --help' for more information.\n");
  });

  test('a hostile option name is escaped', () => {
    const r = utmpx('who', '--\x1b[31mred');
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain('\x1b');
  });
});

describe('options util-linux refuses together', () => {
  /** util-linux's `command` (last or lastb, one program) refuses `opts`: its first stderr line, as utmpx words it. */
  function refused(command: string, opts: string[]): string {
    const r = spawnSync(command, ['-f', wtmp, ...opts], { env: ORACLE_ENV, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    return `utmpx: ${r.stderr.split('\n')[0]}`;
  }

  testWith('last', 'lastb').each([
    ['last', ['-F', '--time-format', 'iso']],
    ['last', ['--time-format=notime', '-F']],
    ['last', ['-xF', '--time-format', 'full']],
    ['lastb', ['--fulltimes', '--time-format', 'short']],
  ])('%s %j: refused in util-linux\'s words', (command, opts) => {
    const r = utmpx(command as string, '-f', wtmp, ...(opts as string[]));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(refused(command as string, opts as string[]));
  });
});

test('watch: a warning whose message begins with its code says the code once', () => {
  const w = { type: 'warning', code: 'EACCES', message: "EACCES: permission denied, open '/var/log/btmp'", path: '/var/log/btmp' };
  expect(warningLine(w as never)).toBe("utmpx: watch: EACCES: permission denied, open '/var/log/btmp'\n");
  expect(warningLine({ ...w, code: 'ENOENT', message: 'gone' } as never)).toBe('utmpx: watch: ENOENT: gone\n');
});
