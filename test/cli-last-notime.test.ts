/**
 * `last --time-format notime` (and lastb's) on wtmp files, against util-linux's
 * last: no login or logout column, only the length or the word for it, and no
 * "begins" line. Files: util-linux's own wtmp test files and a history written
 * by `utmpdump -r` with a crash and a login never closed.
 */
import * as path from 'path';
import { oracle, utmpx } from './helpers/cli-run';
import { tempDir, writeWithUtmpdump } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

const lastTest = testWith('last', 'utmpdump');
const lastbTest = testWith('lastb', 'utmpdump');
const PEER = path.join(__dirname, 'fixtures/peers/util-linux-utmpdump/ts');

let dir: string;
let cleanup: () => void;
let files: string[];

const t = (hms: string) => `2024-01-15T${hms},000000+00:00`;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-cli-notime-'));
  const crash = writeWithUtmpdump(path.join(dir, 'crash'), [
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: t('08:00:00') },
    { type: 7, pid: 4242, id: 'ts/1', user: 'alice', line: 'pts/1', host: '10.0.0.5', addr: '10.0.0.5', time: t('09:30:00') },
    { type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: t('10:00:00') }, // alice: crash
    { type: 7, pid: 1, id: 'ts/2', user: 'bob', line: 'pts/2', host: 'example.org', addr: '0.0.0.0', time: t('10:05:00') }, // never closed
    { type: 7, pid: 4250, id: 'ts/3', user: 'carol', line: 'pts/3', host: '', addr: '0.0.0.0', time: t('10:06:00') },
    { type: 8, pid: 4250, id: 'ts/3', user: '', line: 'pts/3', host: '', addr: '0.0.0.0', time: t('11:07:00') },
  ]);
  files = [crash, ...['wtmp-a.LE', 'wtmp-b.LE', 'wtmp-ipv6.LE'].map((f) => path.join(PEER, f))];
});
afterAll(() => cleanup());

const FLAG_SETS = ['', '-x', '-R', '-a', '-w', '-i', '-x -a -w', '-n 2'];

lastTest.each(FLAG_SETS)('last --time-format notime %s: as util-linux prints it', (set) => {
  const flags = set.split(' ').filter(Boolean);
  for (const file of files) {
    const theirs = oracle('last', '-f', file, '--time-format', 'notime', ...flags);
    const ours = utmpx('last', '-f', file, '--time-format', 'notime', ...flags);
    expect([file, ours.status, ours.stderr]).toEqual([file, 0, '']);
    expect([file, ours.stdout]).toEqual([file, theirs]);
  }
  // Something was compared: the words and lengths that replace the times.
  expect(utmpx('last', '-f', files[0], '--time-format', 'notime').stdout).toMatch(/ \(01:01\)\n.* no logout\n.* running\n.* \(00:30\)\n/);
});

lastbTest('lastb --time-format notime: as util-linux prints it', () => {
  for (const file of files) {
    expect([file, utmpx('lastb', '-f', file, '--time-format', 'notime').stdout]).toEqual([file, oracle('lastb', '-f', file, '--time-format', 'notime')]);
  }
});
