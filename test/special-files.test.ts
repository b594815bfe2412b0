/**
 * Paths that name no regular file: a FIFO (with no writer, open() would block
 * for ever), a character device that never ends (/dev/zero), a UNIX socket
 * (open() fails with ENXIO). Every reader, sync, async and the CLI, must
 * answer at once with a coded error naming the path, and the process must be
 * able to end afterwards. Each reader runs in a child process (the built
 * package) with a kill timer, so a hang fails the test instead of stalling it.
 */
import { execFileSync } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { CLI } from './helpers/cli-run';
import { ROOT, runNodeWithKillTimer } from './helpers/reliability';
import { tempDir } from './helpers/utmpdump';

/** How long one reader may take before it counts as hung. */
const HANG_MS = 15_000;

// Each reader by name, given the path; prints {code, path, message} of the error, or "no error".
const READERS = `
const u = require(process.argv[1] + '/dist/index.js');
const [, , name, p] = process.argv;
const all = async (it) => { const out = []; for await (const e of it) out.push(e); return out; };
const readers = {
  'UtmpFile sync': () => new u.UtmpFile(p).toArray(),
  'UtmpFile async': () => new u.UtmpFile(p).toArrayAsync(),
  'UtmpFile libc sync': () => new u.UtmpFile(p, { source: 'libc' }).toArray(),
  'UtmpFile libc async': () => new u.UtmpFile(p, { source: 'libc' }).toArrayAsync(),
  'users': () => u.users({ path: p }),
  'usersAsync': () => u.usersAsync({ path: p }),
  'bootTime': () => u.bootTime({ path: p }),
  'sessions': () => [...u.sessions(p)],
  'sessionsAsync': () => all(u.sessionsAsync(p)),
  'failedLogins': () => [...u.failedLogins(p)],
  'failedLogins newestFirst': () => [...u.failedLogins(p, { newestFirst: true })],
  'failedLoginsAsync': () => all(u.failedLoginsAsync(p)),
  'failedLoginsAsync newestFirst': () => all(u.failedLoginsAsync(p, { newestFirst: true })),
  'LastlogFile get': () => new u.LastlogFile(p).get(0),
  'LastlogFile getAsync': () => new u.LastlogFile(p).getAsync(0),
  'LastlogFile scan': () => [...new u.LastlogFile(p)],
  'LastlogFile scan async': () => new u.LastlogFile(p).toArrayAsync(),
};
(async () => {
  try {
    await readers[name]();
    console.log('no error');
  } catch (e) {
    console.log(JSON.stringify({ code: e.code, path: e.path, message: e.message }));
  }
})();
`;
const READER_NAMES = [
  'UtmpFile sync', 'UtmpFile async', 'UtmpFile libc sync', 'UtmpFile libc async', 'users', 'usersAsync', 'bootTime',
  'sessions', 'sessionsAsync', 'failedLogins', 'failedLogins newestFirst', 'failedLoginsAsync',
  'failedLoginsAsync newestFirst', 'LastlogFile get', 'LastlogFile getAsync', 'LastlogFile scan', 'LastlogFile scan async',
];
const CLI_RUNS = [['dump', '-f'], ['who', '-f'], ['users', '-f'], ['last', '-f'], ['lastb', '-f'], ['lastlog', '-f']];

/** `node args` with a kill timer; resolves however it ends. */
const run = (args: string[]) => runNodeWithKillTimer(args, HANG_MS, { ...process.env, TZ: 'UTC' });

let dir: string;
let cleanup: () => void;
let fifo: string;
let socketPath: string;
let server: net.Server;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  socketPath = path.join(dir, 'socket');
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  cleanup();
});

describe.each([
  ['a FIFO with no writer', () => fifo, 'EFTYPE'],
  ['/dev/zero', () => '/dev/zero', 'EFTYPE'],
  ['a UNIX socket', () => socketPath, 'ENXIO'],
])('%s', (_, target, code) => {
  test.concurrent.each(READER_NAMES)('%s: a coded error naming the path, at once', async (name) => {
    const p = target();
    const r = await run(['-e', READERS, ROOT, name, p]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' }); // not killed as hung
    const err = JSON.parse(r.stdout);
    expect(err.code).toBe(code);
    expect(err.path).toBe(p);
    expect(err.message).toContain(p);
  }, HANG_MS + 5000);

  test.concurrent.each(CLI_RUNS)('utmpx %s %s: exits 1 with the error', async (command, flag) => {
    const p = target();
    const r = await run([CLI, command, flag, p]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(code);
    expect(r.stderr).toContain(p);
  }, HANG_MS + 5000);
});
