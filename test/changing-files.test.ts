/**
 * Files changing under the reader. A wtmp grows while it is streamed (another
 * process appending whole records, or records in pieces), and a utmp has its
 * slots rewritten in place by glibc's pututxline (as login and sshd do) while
 * libc and the decoder read it. No read may return a torn or made-up record:
 * each read is a consistent set of whole records that were really written.
 */
import { type ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UtmpFile, type UtmpEntry } from '../lib';
import { writeSyntheticWtmp } from './helpers/reliability';
import { tempDir } from './helpers/utmpdump';

const RECORD = 384;
const APPENDED = 20_000;
const SLOTS = 16;
const REWRITE_MS = 3000;

// Rewrites slot (k % slots) with record k through glibc's pututxline until
// `ms` have passed, then prints how many records it wrote. Record k is a
// function of k alone, so a reader can tell a whole record from a torn one.
const PUTUTXLINE_WRITER = `
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utmpx.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  long slots = atol(argv[2]);
  double until = now_ms() + atof(argv[3]);
  if (utmpxname(argv[1]) != 0) { perror("utmpxname"); return 1; }
  long k = 0;
  do {
    k++;
    struct utmpx u;
    memset(&u, 0, sizeof u);
    int slot = (int)((k - 1) % slots);
    u.ut_type = USER_PROCESS;
    u.ut_pid = (pid_t)k;
    snprintf(u.ut_line, sizeof u.ut_line, "pts/%d", slot);
    snprintf(u.ut_id, sizeof u.ut_id, "s%d", slot % 100);
    snprintf(u.ut_user, sizeof u.ut_user, "u%ld", k);
    for (size_t at = 0; at + 1 < sizeof u.ut_host;) at += snprintf(u.ut_host + at, sizeof u.ut_host - at, "%ld.", k);
    u.ut_tv.tv_sec = 1700000000 + k;
    u.ut_tv.tv_usec = k % 1000000;
    u.ut_session = k;
    setutxent();  /* as login daemons do: look for the slot from the start */
    if (!pututxline(&u)) { perror("pututxline"); return 1; }
  } while (k < slots || now_ms() < until);
  endutxent();
  printf("%ld\\n", k);
  return 0;
}
`;

// Appends the records of SOURCE to TARGET: one write per record, or (partial)
// each record in three writes, pausing now and then so readers catch it growing.
const APPENDER = `
const fs = require('fs');
const [source, target, mode] = process.argv.slice(1);
const all = fs.readFileSync(source);
const fd = fs.openSync(target, 'a');
const pause = new Int32Array(new SharedArrayBuffer(4));
let writes = 0;
for (let at = 0, k = 0; at < all.length; at += ${RECORD}, k++) {
  const cuts = mode === 'partial' ? [0, 1 + (k * 37) % 200, 250 + (k * 11) % 100, ${RECORD}] : [0, ${RECORD}];
  for (let i = 1; i < cuts.length; i++) {
    fs.writeSync(fd, all, at + cuts[i - 1], cuts[i] - cuts[i - 1]);
    writes++;
    if (mode === 'partial' && i < cuts.length - 1 && k % 7 === 0) Atomics.wait(pause, 0, 0, 1);
  }
  if (k % 10 === 0) Atomics.wait(pause, 0, 0, 1);
}
process.stdout.write(String(writes));
`;

let dir: string;
let cleanup: () => void;
let writer: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  fs.writeFileSync(path.join(dir, 'writer.c'), PUTUTXLINE_WRITER);
  writer = path.join(dir, 'writer');
  execFileSync('cc', ['-O2', '-o', writer, path.join(dir, 'writer.c')]);
});
afterAll(() => cleanup());

/** Resolves with the child's stdout when it exits 0. */
function finished(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer exited with ${code}`))));
  });
}

/** Reads `file` every way there is, round-robin, until `done` settles. */
async function readWhileChanging(
  file: string,
  done: Promise<string>,
  hows: readonly string[],
  check: (entries: UtmpEntry[], how: string) => void,
): Promise<{ reads: number; records: number; warnings: Set<string> }> {
  let running = true;
  done.finally(() => (running = false)).catch(() => undefined);
  const warnings = new Set<string>();
  const onWarning = (w: { code: string }) => warnings.add(w.code);
  let reads = 0;
  let records = 0;
  while (running) {
    const how = hows[reads % hows.length];
    const reader = new UtmpFile(file, { source: how === 'libc' ? 'libc' : 'decoder', onWarning });
    const entries = how === 'decoder-async' ? await reader.toArrayAsync() : reader.toArray();
    check(entries, how);
    reads++;
    records += entries.length;
    if (reads % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  await done;
  return { reads, records, warnings };
}

describe.each(['whole', 'partial'] as const)('a wtmp appended to while it is streamed (%s writes)', (mode) => {
  test('every read is a prefix of what was written, record for record', async () => {
    const source = writeSyntheticWtmp(path.join(dir, `source-${mode}.wtmp`), APPENDED);
    const expected = new UtmpFile(source).toArray().map((e) => JSON.stringify(e));
    const target = path.join(dir, `growing-${mode}.wtmp`);
    fs.writeFileSync(target, '');
    const child = spawn(process.execPath, ['-e', APPENDER, source, target, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const done = finished(child);
    const lengths = new Set<number>();
    const { reads, records, warnings } = await readWhileChanging(target, done, ['decoder-sync', 'decoder-async', 'libc'], (entries, how) => {
      expect(entries.length).toBeLessThanOrEqual(APPENDED);
      entries.forEach((e, i) => {
        if (JSON.stringify(e) !== expected[i]) throw new Error(`${how}: record ${i} is not the record written there`);
      });
      lengths.add(entries.length);
    });
    const writes = Number(await done);
    // The reads really saw the file grow, and only documented warnings came out.
    expect(lengths.size).toBeGreaterThan(5);
    for (const code of warnings) expect(code).toBe('TRAILING_BYTES');
    expect(new UtmpFile(target).toArray().map((e) => JSON.stringify(e))).toEqual(expected);
    console.log(`changing files: wtmp growing by ${writes} ${mode} writes: ${reads} reads, ${records} records, ` +
      `${lengths.size} distinct lengths, all whole and in order`);
  }, 150_000);
});

test('a utmp whose slots pututxline rewrites in place: never a torn record (libc and decoder)', async () => {
  const file = path.join(dir, 'rewritten.utmp');
  fs.writeFileSync(file, '');
  execFileSync(writer, [file, String(SLOTS), '0']); // fill the slots first
  expect(fs.statSync(file).size).toBe(SLOTS * RECORD);
  const child = spawn(writer, [file, String(SLOTS), String(REWRITE_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = finished(child);
  const { reads, records, warnings } = await readWhileChanging(file, done, ['decoder-sync', 'decoder-async', 'decoder-sync', 'libc'], (entries, how) => {
    expect(entries).toHaveLength(SLOTS);
    for (const e of entries) {
      const k = e.ut_pid!;
      const whole = e.ut_user === `u${k}` && e.line === `pts/${(k - 1) % SLOTS}` && e.ut_id === `s${(k - 1) % SLOTS}` &&
        e.ut_host === `${k}.`.repeat(256).slice(0, 255) && Math.floor(e.ut_time) === 1700000000 + k &&
        e.ut_session === k && e.ut_type === 'USER_PROCESS';
      if (!whole) throw new Error(`${how}: torn record ${JSON.stringify(e)}`);
    }
  });
  const rewrites = Number(await done);
  expect(warnings.size).toBe(0);
  expect(rewrites).toBeGreaterThan(1000);
  console.log(`changing files: utmp slots rewritten ${rewrites} times by pututxline: ${reads} reads, ${records} records, none torn`);
}, 150_000);
