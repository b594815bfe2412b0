/**
 * lastlog2's rows as liblastlog2 wrote them (test/fixtures/sqlite/lastlog2.db,
 * see its README): the pseudo-line `ssh` that pam_lastlog2 records for an ssh
 * login stays `ssh` in `ut_line` (no `/dev/ssh`, no such device); a real
 * terminal becomes its device path; a name with no account has `uid: null`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LastlogFile } from '../lib';

const DB = path.join(__dirname, 'fixtures/sqlite/lastlog2.db');

test('ssh stays ssh; pts/1 and tty1 are device paths', () => {
  const entries = [...new LastlogFile(DB)];
  const ssh = entries.filter((e) => e.line === 'ssh');
  expect(ssh.length).toBeGreaterThan(0);
  for (const e of ssh) expect(e.ut_line).toBe('ssh');
  for (const e of entries.filter((x) => /^(pts\/|tty)/.test(x.line))) expect(e.ut_line).toBe(`/dev/${e.line}`);
  expect(entries.some((e) => /^(pts\/|tty)/.test(e.line))).toBe(true);
});

test('a name with no account in /etc/passwd: uid null, as LastlogEntry.uid says', () => {
  const entries = [...new LastlogFile(DB)];
  const orphan = entries.find((e) => e.user === 'alice');
  expect(orphan).toBeDefined();
  expect(orphan!.uid === null).toBe(!fs.readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith('alice:')));
});
