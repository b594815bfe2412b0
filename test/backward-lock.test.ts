/**
 * Reading backwards (failedLogins({ newestFirst }), `utmpx lastb`) under a
 * writer that rewrites records in two writes while it holds its fcntl write
 * lock, as a writer may: a reader that takes the read lock, as forward
 * readers do, never sees a record half old and half new.
 */
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type UtmpEntry, failedLogins, failedLoginsAsync } from '../lib';
import { tempDir } from './helpers/utmpdump';

const SLOTS = 64;
const RUN_MS = 3000;

// Writes glibc x86-64 records (384 bytes): record k in slot (k % SLOTS), each
// in two writes (bytes 0-200, then the rest) under one write lock, until
// killed; record k is a function of k alone.
const WRITER = `
import fcntl, os, struct, sys, time
path, slots = sys.argv[1], int(sys.argv[2])
def record(k):
    host = (str(k) + '.') * 64
    r = struct.pack('<hxxi32s4s32s256shhiii16s20x', 7, k, b'pts/%d' % (k % slots), b's%d' % (k % 100),
                    b'u%d' % k, host.encode()[:255], 0, 0, k, 1700000000 + k, k % 1000000, b'\\x0a\\0\\0\\x05' + bytes(12))
    assert len(r) == 384
    return r
with open(path, 'wb') as f:
    f.write(b''.join(record(k) for k in range(1, slots + 1)))
fd = os.open(path, os.O_RDWR)
k = slots
print('ready', flush=True)
while True:
    k += 1
    r = record(k)
    at = (k % slots) * 384
    fcntl.lockf(fd, fcntl.LOCK_EX)
    os.pwrite(fd, r[:200], at)
    time.sleep(0.00005)
    os.pwrite(fd, r[200:], at + 200)
    fcntl.lockf(fd, fcntl.LOCK_UN)
    time.sleep(0.00005)
`;

function whole(e: UtmpEntry): boolean {
  const k = e.ut_pid!;
  return e.ut_user === `u${k}` && e.ut_host === `${k}.`.repeat(64).slice(0, 255) && e.ut_session === k &&
    Math.floor(e.ut_time) === 1700000000 + k && e.line === `pts/${k % SLOTS}`;
}

let dir: string;
let cleanup: () => void;
let writer: ChildProcess | undefined;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => {
  writer?.kill('SIGKILL');
  cleanup();
});

test('records rewritten in two writes under the lock: no backward read returns a torn one', async () => {
  const file = path.join(dir, 'btmp');
  writer = spawn('python3', ['-c', WRITER, file, String(SLOTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    writer!.stdout!.once('data', () => resolve());
    writer!.once('exit', (code) => reject(new Error(`writer exited (${code})`)));
  });
  expect(fs.statSync(file).size).toBe(SLOTS * 384);
  let reads = 0;
  let records = 0;
  const torn: UtmpEntry[] = [];
  const until = Date.now() + RUN_MS;
  while (Date.now() < until) {
    const entries = reads % 2 ? [...failedLogins(file, { newestFirst: true })] : [];
    if (reads % 2 === 0) for await (const e of failedLoginsAsync(file, { newestFirst: true })) entries.push(e);
    expect(entries).toHaveLength(SLOTS);
    for (const e of entries) if (!whole(e)) torn.push(e);
    reads++;
    records += entries.length;
  }
  writer.kill('SIGKILL');
  console.log(`backward reads under a two-write writer: ${reads} reads, ${records} records, ${torn.length} torn`);
  expect(torn.slice(0, 3)).toEqual([]);
  expect(reads).toBeGreaterThan(5);
}, 30_000);
