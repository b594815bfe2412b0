/**
 * Readers dropped without close(): an agent that peeks at the first record of
 * wtmp on every poll. Each pattern runs 2,000 times in a child process limited
 * to 256 descriptors (`ulimit -n 256`): no pattern may run out of them.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT, writeSyntheticWtmp } from './helpers/reliability';
import { tempDir } from './helpers/utmpdump';

const ROUNDS = 2000;

const SCRIPT = `
const u = require(process.argv[1] + '/dist/index.js');
const [, , name, p, rounds] = process.argv;
const patterns = {
  'UtmpFile next()': () => new u.UtmpFile(p).next(),
  'UtmpFile async iterator next()': () => new u.UtmpFile(p)[Symbol.asyncIterator]().next(),
  'UtmpFile async iterator two next()': async () => { const it = new u.UtmpFile(p)[Symbol.asyncIterator](); await it.next(); return it.next(); },
  'failedLogins next()': () => u.failedLogins(p).next(),
  'failedLogins newestFirst next()': () => u.failedLogins(p, { newestFirst: true }).next(),
  'failedLoginsAsync next()': () => u.failedLoginsAsync(p).next(),
  'failedLoginsAsync newestFirst next()': () => u.failedLoginsAsync(p, { newestFirst: true }).next(),
  'sessions next()': () => u.sessions(p).next(),
  'sessionsAsync next()': () => u.sessionsAsync(p).next(),
};
(async () => {
  let first;
  for (let i = 0; i < Number(rounds); i++) {
    const r = await patterns[name]();
    first ??= r.value;
    if (r.done) throw new Error('no record');
  }
  console.log('ok');
})().catch((e) => { console.log(e.code || e.message); process.exitCode = 1; });
`;

const PATTERNS = [
  'UtmpFile next()', 'UtmpFile async iterator next()', 'UtmpFile async iterator two next()', 'failedLogins next()',
  'failedLogins newestFirst next()', 'failedLoginsAsync next()', 'failedLoginsAsync newestFirst next()',
  'sessions next()', 'sessionsAsync next()',
];

let dir: string;
let cleanup: () => void;
let wtmp: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  wtmp = writeSyntheticWtmp(path.join(dir, 'wtmp'), 4000); // 1.5 MB: larger than a whole read, two chunks
});
afterAll(() => cleanup());

test.concurrent.each(PATTERNS)(`%s, ${ROUNDS} times without close() under ulimit -n 256: no EMFILE`, async (name) => {
  const r = spawnSync('bash', ['-c', 'ulimit -n 256 && exec "$@"', 'bash', process.execPath, '-e', SCRIPT, ROOT, name, wtmp, String(ROUNDS)], {
    encoding: 'utf8', timeout: 60_000,
  });
  expect({ stdout: r.stdout.trim(), stderr: r.stderr, status: r.status }).toEqual({ stdout: 'ok', stderr: '', status: 0 });
}, 70_000);
