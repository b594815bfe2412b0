#!/usr/bin/env node
// watch(): what an agent following logins pays, against the goals of issue 12:
// - latency from a record's append to its event: median < 20 ms, p99 < 100 ms
//   (baseline: polling `who`/`last` every second, as agents do today, averages 500 ms);
// - CPU used by an idle watch over 10 s (CPU time, not wall time): < 10 ms;
// - events per second under a burst (one large append): >= 100,000/s, beside the
//   library's plain reader (UtmpFile) decoding the same records: the ratio;
// - peak RSS after 1,000,000 events (ten rotations of 100,000): flat, about what
//   it is after the first 100,000.
// Records come from `utmpdump -r`; everything runs on scratch files in a temp dir.
'use strict';
const fs = require('fs');
const path = require('path');
const { appendLatency, childOrMain, hr, loginsOnOwnLines, runChild, tempDir, tiledRecords } = require('./common');

const { watch, UtmpFile } = require(path.join(__dirname, '..', 'dist'));
const LATENCY_EVENTS = Number(process.env.BENCH_WATCH_EVENTS || 1000);
const IDLE_SECONDS = Number(process.env.BENCH_WATCH_IDLE_S || 10);
const BURST = 200_000;

/** `count` login records made by `utmpdump -r` (10,000 made once, repeated). */
function records(count) {
  const n = Math.min(count, 10_000);
  const lines = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const t = new Date(Date.UTC(2024, 0, 15) + i * 1000).toISOString().replace(/\.\d+Z$/, ',000000+00:00');
    lines.push(`[7] [${String(10000 + i).padStart(5, '0')}] [ts/1] [user${i % 50}   ] [pts/${i % 64}       ] [${ip.padEnd(20)}] [${ip.padEnd(15)}] [${t}]`);
  }
  return tiledRecords(lines, count);
}

async function latency(dir) {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const w = watch({ files: [wtmp] });
  try {
    return await appendLatency(wtmp, loginsOnOwnLines(LATENCY_EVENTS), LATENCY_EVENTS, async () => {
      const r = await w.next();
      if (r.done || r.value.type !== 'login') throw new Error('unexpected item');
    });
  } finally {
    await w.close();
  }
}

async function idle(dir) {
  const wtmp = path.join(dir, 'idle-wtmp');
  fs.writeFileSync(wtmp, records(10));
  const w = watch({ files: [wtmp, path.join(dir, 'idle-btmp'), { path: path.join(dir, 'idle-utmp'), kind: 'utmp' }] });
  const pending = w.next(); // a consumer waiting, as an agent's loop does
  await new Promise((r) => setTimeout(r, 200));
  const start = process.cpuUsage();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const used = process.cpuUsage(start);
  await w.close();
  await pending;
  return (used.user + used.system) / 1000;
}

async function burst(dir) {
  const wtmp = path.join(dir, 'burst-wtmp');
  fs.writeFileSync(wtmp, '');
  const bin = records(BURST);
  const w = watch({ files: [wtmp] });
  let n = 0;
  const t0 = hr();
  fs.appendFileSync(wtmp, bin);
  for await (const e of w) {
    if (e.type === 'login' && ++n === BURST) break;
  }
  const watchMs = hr() - t0;
  const t1 = hr();
  let m = 0;
  for (const u of new UtmpFile(wtmp, { source: 'decoder' })) if (u.ut_user_process) m++;
  const readMs = hr() - t1;
  if (m !== BURST) throw new Error(`UtmpFile read ${m}`);
  return { perSecond: BURST / (watchMs / 1000), readerPerSecond: BURST / (readMs / 1000) };
}

// In its own process: peak RSS after 100,000 events, then after 1,000,000 (ten rounds, the file rotated between).
async function rssChild(rounds) {
  const { dir, cleanup } = tempDir('utmpx-bench-watch-rss-');
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  const bin = records(100_000);
  const w = watch({ files: [wtmp] });
  const rss = [];
  try {
    for (let round = 0; round < Number(rounds); round++) {
      fs.appendFileSync(wtmp, bin);
      let n = 0;
      while (n < 100_000) {
        const r = await w.next();
        if (!r.done && r.value.type === 'login') n++;
      }
      rss.push(process.memoryUsage().rss / 2 ** 20);
      fs.renameSync(wtmp, `${wtmp}.1`); // rotated: the next round goes to a new file
      fs.writeFileSync(wtmp, '');
      fs.rmSync(`${wtmp}.1`);
    }
  } finally {
    await w.close();
    cleanup();
  }
  return { firstMB: rss[0], lastMB: rss[rss.length - 1] };
}

async function main() {
  const { dir, cleanup } = tempDir('utmpx-bench-watch-');
  let failed = 0;
  const check = (ok, text) => {
    console.log(`${ok ? 'ok  ' : 'MISS'} ${text}`);
    if (!ok) failed++;
  };
  try {
    const l = await latency(dir);
    check(l.median < 20, `latency append -> event, median over ${LATENCY_EVENTS}: ${l.median.toFixed(2)} ms (goal < 20 ms; polling every 1 s: ~500 ms, ${(500 / l.median).toFixed(0)}x more)`);
    check(l.p99 < 100, `latency append -> event, p99: ${l.p99.toFixed(2)} ms (goal < 100 ms)`);
    const cpu = await idle(dir);
    check(cpu < 10 * (IDLE_SECONDS / 10), `idle watch (wtmp, btmp, utmp), CPU over ${IDLE_SECONDS} s: ${cpu.toFixed(2)} ms (goal < ${10 * IDLE_SECONDS / 10} ms)`);
    const b = await burst(dir);
    check(b.perSecond >= 100_000, `burst of ${BURST} records in one append: ${Math.round(b.perSecond).toLocaleString('en')} events/s (goal >= 100,000/s; UtmpFile reading the same file: ${Math.round(b.readerPerSecond).toLocaleString('en')} entries/s, watch at ${(b.perSecond / b.readerPerSecond).toFixed(2)}x)`);
  } finally {
    cleanup();
  }
  const r = runChild(__filename, ['rss', 10]);
  check(r.lastMB < r.firstMB * 1.25 + 10, `RSS after 100,000 events ${r.firstMB.toFixed(0)} MB, after 1,000,000 ${r.lastMB.toFixed(0)} MB (peak ${r.maxRssMB.toFixed(0)} MB; goal: flat)`);
  process.exitCode = failed ? 1 : 0;
}

childOrMain((what, rounds) => rssChild(rounds), main);
