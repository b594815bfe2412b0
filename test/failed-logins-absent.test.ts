/**
 * A system whose btmp does not exist (modern distributions may write none):
 * failedLogins() and `utmpx lastb` say that this system records no failed
 * logins, naming the path, with code ENOENT kept. Run in a private mount
 * namespace with an empty tmpfs over /var/log, so the machine's btmp is
 * never touched (root only; skipped otherwise).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { CLI } from './helpers/cli-run';
import { testUnless } from './helpers/tools';

const DIST = path.resolve(__dirname, '../dist');
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
const rootTest = testUnless(canUnshare ? null : 'hiding btmp needs root and unshare -m (not permitted in a chroot)');

/** `node ARGS` where /var/log is an empty tmpfs. */
function withoutBtmp(...args: string[]) {
  const script = 'mount -t tmpfs none /var/log && exec "$@"';
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, ...args], { encoding: 'utf8' });
}

rootTest('failedLogins() and failedLoginsAsync(): ENOENT, the path, and what it means', () => {
  const probe = `const { failedLogins, failedLoginsAsync } = require(${JSON.stringify(DIST)});
    const show = (e) => JSON.stringify({ code: e.code, path: e.path, message: e.message });
    try { [...failedLogins()]; console.log('no error'); } catch (e) { console.log(show(e)); }
    (async () => { try { for await (const f of failedLoginsAsync()) {} console.log('no error'); } catch (e) { console.log(show(e)); } })();`;
  const r = withoutBtmp('-e', probe);
  expect(r.stderr).toBe('');
  const [sync, async] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  for (const e of [sync, async]) {
    expect(e.code).toBe('ENOENT');
    expect(e.path).toBe('/var/log/btmp');
    expect(e.message).toContain("'/var/log/btmp'");
    expect(e.message).toContain('this system records no failed logins');
  }
});

rootTest('utmpx lastb says so on stderr and exits 1; a file the user names keeps the plain ENOENT', () => {
  const r = withoutBtmp(CLI, 'lastb');
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^utmpx: ENOENT: no btmp at '\/var\/log\/btmp': this system records no failed logins/);
  const named = withoutBtmp(CLI, 'lastb', '-f', '/var/log/btmp.1');
  expect(named.status).toBe(1);
  expect(named.stderr).not.toContain('records no failed logins');
  expect(named.stderr).toContain('ENOENT');
});
