// What the benches (bench/*.bench.js) and scripts/valgrind-reads.js share:
// medians, temp dirs, fixtures written by `utmpdump -r`, lastlog records, and
// the child process each measured variant runs in. Not a bench itself
// (bench/index.js runs only *.bench.js).
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A temporary directory removed by `cleanup()`. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One line of utmpdump's text format (as test/helpers/utmpdump.ts writes it). */
function dumpLine(r) {
  return `[${r.type}] [${String(r.pid).padStart(5, '0')}] [${r.id.padEnd(4)}] [${r.user.padEnd(8)}] ` +
    `[${r.line.padEnd(12)}] [${r.host.padEnd(20)}] [${r.addr.padEnd(15)}] [${r.time}]`;
}

/** Writes `records` ({ type, pid, id, user, line, host, addr, time }) to `file` with `utmpdump -r`. */
function writeWithUtmpdump(file, records) {
  const text = records.map(dumpLine).join('\n') + '\n';
  fs.writeFileSync(file, execFileSync('utmpdump', ['-r'], { input: text, stdio: ['pipe', 'pipe', 'ignore'] }));
}

/** A lastlog record, x86-64 glibc layout (DESIGN.md): time 0, line 4, host 36. */
function lastlogRecord(size, time, line, host) {
  const b = Buffer.alloc(size);
  b.writeInt32LE(time, 0);
  b.write(line, 4, 'latin1');
  b.write(host, 36, 'latin1');
  return b;
}

/**
 * `node SCRIPT --child ARGS...` runs `measure(...ARGS)` and prints what it
 * returns, with the process's peak RSS (maxRssMB), as JSON; any other
 * command line runs `main()`.
 */
function childOrMain(measure, main) {
  if (process.argv[2] !== '--child') return main();
  (async () => {
    const result = await measure(...process.argv.slice(3));
    process.stdout.write(JSON.stringify({ ...result, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** Runs `node script --child ...args` (see childOrMain) and returns its JSON. */
function runChild(script, args, options = {}) {
  const r = spawnSync(process.execPath, [script, '--child', ...args.map(String)], { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * Writes record `r` as glibc x86-64's struct utmp (384 bytes, DESIGN.md: type 0,
 * pid 4, line 8, id 40, user 44, host 76, exit 332, session 336, tv_sec 340,
 * tv_usec 344, addr 348) at byte `at` of `buf`; `r.addr`: the address bytes (4 or 16).
 */
function writeUtmpRecord(buf, at, r) {
  buf.fill(0, at, at + 384);
  buf.writeInt16LE(r.type, at);
  buf.writeInt32LE(r.pid, at + 4);
  buf.write(r.line, at + 8, 32, 'latin1');
  buf.write(r.id, at + 40, 4, 'latin1');
  buf.write(r.user, at + 44, 32, 'latin1');
  buf.write(r.host, at + 76, 256, 'latin1');
  buf.writeInt32LE(r.session || 0, at + 336);
  buf.writeInt32LE(r.sec, at + 340);
  buf.writeInt32LE(r.usec, at + 344);
  if (r.addr) for (let i = 0; i < r.addr.length; i++) buf[at + 348 + i] = r.addr[i];
}

/** Milliseconds, for timing. */
const hr = () => Number(process.hrtime.bigint()) / 1e6;
/** The p-th quantile (0..1) of `xs`. */
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** `lines` (utmpdump's text) through `utmpdump -r`, repeated to fill `count` records of 384 bytes. */
function tiledRecords(lines, count) {
  const bin = execFileSync('utmpdump', ['-r'], { input: lines.join('\n') + '\n', stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  const out = Buffer.alloc(count * 384);
  for (let at = 0; at < out.length; at += bin.length) bin.copy(out, at, 0, Math.min(bin.length, out.length - at));
  return out;
}

/** `count` logins on lines of their own: one event each (a login on a line still open would end that login too: two). */
function loginsOnOwnLines(count) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    const ip = `10.1.${(i >> 8) & 255}.${i & 255}`;
    const t = new Date(Date.UTC(2024, 0, 15) + i * 1000).toISOString().replace(/\.\d+Z$/, ',000000+00:00');
    lines.push(`[7] [${String(10000 + i).padStart(5, '0')}] [ts/1] [${`user${i % 50}`.padEnd(8)}] [${`pts/${i}`.padEnd(12)}] [${ip.padEnd(20)}] [${ip.padEnd(15)}] [${t}]`);
  }
  return tiledRecords(lines, count);
}
/**
 * Latency from an append to its event: appends the records of `bin` (384 bytes
 * each) to `file` one at a time, `count` of them, each once `arrived(i)` has
 * resolved for the one before (the watch delivered event i); milliseconds, median and p99.
 */
async function appendLatency(file, bin, count, arrived) {
  const ms = [];
  for (let i = 0; i < count; i++) {
    const t0 = hr();
    fs.appendFileSync(file, bin.subarray(i * 384, (i + 1) * 384));
    await arrived(i);
    ms.push(hr() - t0);
  }
  return { median: pct(ms, 0.5), p99: pct(ms, 0.99) };
}

module.exports = { median, tempDir, writeWithUtmpdump, lastlogRecord, childOrMain, runChild, writeUtmpRecord, hr, pct, tiledRecords, appendLatency, loginsOnOwnLines };
