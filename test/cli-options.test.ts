/**
 * The command line as the system tools take it (issue 13): values that begin
 * with '-' (getopt's rule), invalid dates refused as last(1) refuses them,
 * and a usage error that shows the subcommand's own usage.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ORACLE_ENV, oracle, utmpx } from './helpers/cli-run';
import { tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';
/** The oracle: util-linux's last (Debian 13 has none). */
const lastTest = testWith('last');

let cleanup: () => void;
let wtmp: string;
beforeAll(() => {
  let dir: string;
  ({ dir, cleanup } = tempDir('utmpx-cli-options-'));
  const rec = (type: number, pid: number, user: string, line: string, time: string) =>
    ({ type, pid, id: line.slice(-4), user, line, host: '10.0.0.5', addr: '10.0.0.5', time: `${time},000000+00:00` });
  wtmp = writeWithUtmpdump(path.join(dir, 'wtmp'), [
    rec(7, 4242, 'alice', 'pts/1', '2024-01-15T09:30:00'),
    rec(8, 4242, '', 'pts/1', '2024-01-15T10:30:00'),
    rec(7, 4243, 'bob', 'pts/2', '2024-01-16T09:30:00'),
  ]);
});
afterAll(() => cleanup());

lastTest.each([
  [['-t', '-1days']],
  [['--until', '-2h']],
  [['-s', '-3days']],
  [['--since', '-3days']],
])('last %j takes a value beginning with "-" as util-linux last does', (opts) => {
  const r = utmpx('last', '-f', wtmp, ...opts);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(oracle('last', '-f', wtmp, ...opts));
});

lastTest('last -s 2024-02-30 is March 1st, as last takes it', () => {
  const r = utmpx('last', '-f', wtmp, '-s', '2024-02-30');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(oracle('last', '-f', wtmp, '-s', '2024-02-30'));
});

lastTest.each(['2023-13-45', '2024-01-32', '2024-01-15 25:00', 'yesterweek'])('last -s %j is refused as last refuses it', (value) => {
  const theirs = spawnSync('last', ['-f', wtmp, '-s', value], { env: ORACLE_ENV, encoding: 'utf8' });
  expect(theirs.status).not.toBe(0);
  const r = utmpx('last', '-f', wtmp, '-s', value);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`invalid time value "${value}"`);
  expect(r.stdout).toBe('');
});

test('a usage error is one line and a hint at the subcommand\'s help, not the whole CLI\'s', () => {
  const r = utmpx('last', '--bogus');
  expect(r.status).toBe(2);
  expect(r.stderr).toBe("utmpx: last: unrecognized option '--bogus'\nTry 'utmpx last --help' for more information.\n");
});

// A value option given twice: the last one wins, as getopt has it (see cli-args.test.ts).
// `last` reads each -f, as last(1) does.
lastTest('last -f given twice reads both files, as last does', () => {
  const r = utmpx('last', '-f', wtmp, '-f', wtmp);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(oracle('last', '-f', wtmp, '-f', wtmp));
});

test.each(['dump', 'users'])('%s prints no times: --iso is an unknown option there', (command) => {
  const r = utmpx(command, '-f', wtmp, '--iso');
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`${command}: unrecognized option '--iso'`);
  expect(r.stdout).toBe('');
});

test.each(['who', 'last', 'lastb', 'boot'])('%s takes --iso', (command) => {
  const r = utmpx(command, '-f', wtmp, '--iso');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
