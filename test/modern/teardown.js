/**
 * Global teardown of `npm run test:modern`: whatever a test file left running
 * (it died before its afterAll) is stopped by the pids bed.ts noted. The
 * private mount namespace and in-namespace.sh's trap take care of the mounts.
 */
const fs = require('fs');
const path = require('path');

module.exports = async function teardown() {
  const root = process.env.UTMPX_MODERN_ROOT;
  if (!root) return;
  const list = path.join(path.dirname(root), 'pids');
  if (!fs.existsSync(list)) return;
  for (const pid of fs.readFileSync(list, 'utf8').split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
  fs.rmSync(list, { force: true });
};
