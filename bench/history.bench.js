#!/usr/bin/env node
// History at speed: a 1,000,000-record wtmp read by utmpx (sync, async,
// counting logins, sessions()) beside util-linux `last -f` and coreutils
// `who FILE` (glibc's getutxent) on the same file, medians of several runs.
// Each utmpx variant runs in its own child process, so each peak RSS is its own.
'use strict';
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { median, tempDir, childOrMain, runChild, writeUtmpRecord } = require('./common');

const RECORDS = Number(process.env.BENCH_RECORDS || 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS || 5);
const WARM_UP = 200_000;
const SLOW_RUNS = Number(process.env.BENCH_SLOW_RUNS || 3);
const DIST = path.join(__dirname, '..', 'dist');

// ---------------------------------------------------------------- the child side
async function child(variant, file, limit) {
  limit = Number(limit) || 0;
  const { UtmpFile, sessions, sessionsAsync } = require(DIST);
  // "-warm": as in a long-running process, the code has already run (the JIT
  // has compiled it): a first pass over the file's first WARM_UP entries, untimed.
  if (variant.endsWith('-warm')) {
    variant = variant.slice(0, -'-warm'.length);
    let i = 0;
    if (variant === 'async') {
      for await (const e of new UtmpFile(file)) if (e && ++i === WARM_UP) break;
    } else {
      for (const e of new UtmpFile(file)) if (e && ++i === WARM_UP) break;
    }
  }
  let n = 0;
  let stallMs = 0;
  let stallCpuMs = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  if (variant === 'sync') {
    for (const e of new UtmpFile(file)) if (e && ++n === limit) break;
  } else if (variant === 'count') {
    for (const e of new UtmpFile(file)) if (e.ut_user_process) n++;
  } else if (variant === 'async') {
    for await (const e of new UtmpFile(file)) if (e) n++;
  } else if (variant === 'stall') {
    // Timed apart from 'async': the probe costs time of its own.
    // A 1 ms timer: the longest gap between its ticks is the longest stall.
    // On a shared machine much of a gap can be time spent waiting for a CPU,
    // so the main thread's own CPU time between ticks is measured too
    // (Linux schedstat: nanoseconds on a CPU).
    const schedstat = `/proc/self/task/${process.pid}/schedstat`;
    const onCpu = fs.existsSync(schedstat) ? () => Number(fs.readFileSync(schedstat, 'latin1').split(' ')[0]) / 1e6 : () => 0;
    let last = process.hrtime.bigint();
    let lastCpu = onCpu();
    const probe = setInterval(() => {
      const now = process.hrtime.bigint();
      const cpu = onCpu();
      stallMs = Math.max(stallMs, Number(now - last) / 1e6);
      stallCpuMs = Math.max(stallCpuMs, cpu - lastCpu);
      last = now;
      lastCpu = cpu;
    }, 1);
    for await (const e of new UtmpFile(file)) if (e) n++;
    clearInterval(probe);
  } else if (variant === 'sessions') {
    for (const s of sessions(file)) if (s) n++;
  } else if (variant === 'sessionsAsync') {
    for await (const s of sessionsAsync(file)) if (s) n++;
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000; // every thread: GC and I/O helpers too
  return { ms, cpuMs, n, stallMs, stallCpuMs };
}

// ---------------------------------------------------------------- the generator
// glibc x86-64 struct utmp, 384 bytes (DESIGN.md): type 0, pid 4, line 8, id 40,
// user 44, host 76, exit 332, session 336, tv_sec 340, tv_usec 344, addr 348.
const SIZE = 384;

const writeRecord = writeUtmpRecord;

// A busy host: 300 users logging in from 5,000 client machines over ssh on 64
// pty lines, a fifth of sessions in tmux (whose host field, tmux(PID).%N, is
// new every time), their DEAD records, a clean reboot now and then and an
// occasional crash.
function* history(count) {
  let seed = 42;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const users = Array.from({ length: 300 }, (_, i) => `user${i}`);
  const clients = Array.from({ length: 5000 }, () => [10, rand(256), rand(256), 1 + rand(254)]);
  const lines = Array.from({ length: 64 }, (_, i) => `pts/${i}`).concat(['tty1', 'tty2']);
  const open = new Map();
  let sec = 1_600_000_000;
  let pid = 1000;
  const kernel = '6.1.0-18-amd64';
  const boot = () => [
    { type: 2, pid: 0, line: '~', id: '~~', user: 'reboot', host: kernel, sec, usec: 0 },
    { type: 1, pid: 0x35, line: '~', id: '~~', user: 'runlevel', host: kernel, sec: sec + 5, usec: 0 },
  ];
  let queue = boot();
  for (let i = 0; i < count; i++) {
    if (queue.length === 0) {
      sec += 1 + rand(120);
      const r = rand(100000);
      const line = lines[rand(lines.length)];
      if (r < 20) { // shutdown then boot
        open.clear();
        queue = [{ type: 1, pid: 0x30, line: '~', id: '~~', user: 'shutdown', host: kernel, sec, usec: 0 }, ...boot()];
      } else if (r < 25) { // crash: a boot with sessions still open
        open.clear();
        queue = boot();
      } else if (open.has(line)) {
        const who = open.get(line);
        open.delete(line);
        const tmux = who.host.startsWith('tmux');
        // sshd: empty user and id; tmux (libutempter): keeps the user.
        queue = [{ type: 8, pid: who.pid, line, id: tmux ? who.id : '', user: tmux ? who.user : '', host: '', sec, usec: rand(1e6) }];
      } else {
        const tmux = rand(5) === 0;
        const addr = clients[rand(clients.length)];
        const who = {
          type: 7, pid: pid++, line, id: line.replace(/^pts\//, 'ts/').slice(-4), user: users[rand(users.length)],
          host: tmux ? `tmux(${pid}).%${rand(9)}` : addr.join('.'), addr: tmux ? null : addr, sec, usec: rand(1e6), session: pid,
        };
        open.set(line, who);
        queue = [who];
      }
    }
    yield queue.shift();
  }
}

function generate(file, count, sampleEvery) {
  const perWrite = 8192;
  const buf = Buffer.alloc(perWrite * SIZE);
  const fd = fs.openSync(file, 'w');
  const samples = [];
  let k = 0;
  let i = 0;
  for (const r of history(count)) {
    writeRecord(buf, k * SIZE, r);
    if (i % sampleEvery === 0) samples.push({ index: i, record: r, bytes: Buffer.from(buf.subarray(k * SIZE, (k + 1) * SIZE)) });
    i++;
    if (++k === perWrite) {
      fs.writeSync(fd, buf, 0, k * SIZE);
      k = 0;
    }
  }
  if (k) fs.writeSync(fd, buf, 0, k * SIZE);
  fs.closeSync(fd);
  return samples;
}

// A sample of the generated records, read back by utmpdump: the file is what it claims.
function validate(dir, samples) {
  const sampleFile = path.join(dir, 'sample.wtmp');
  fs.writeFileSync(sampleFile, Buffer.concat(samples.map((s) => s.bytes)));
  const out = execFileSync('utmpdump', [sampleFile], { stdio: ['ignore', 'pipe', 'ignore'] }).toString('latin1');
  const rows = out.split('\n').filter(Boolean);
  if (rows.length !== samples.length) throw new Error(`utmpdump read ${rows.length} of ${samples.length} sample records`);
  rows.forEach((row, i) => {
    const m = /^\[(\d+)\] \[(\d+)\] \[(.*?)\] \[(.*?) *\] \[(.*?) *\] \[(.*?) *\] \[(.*?) *\] \[(.*?)\]$/.exec(row);
    const r = samples[i].record;
    const when = new Date(r.sec * 1000).toISOString().slice(0, 19);
    const ok = m && Number(m[1]) === r.type && Number(m[2]) === r.pid && m[4] === r.user && m[5] === r.line &&
      m[6] === r.host && m[7] === (r.addr ? r.addr.join('.') : '0.0.0.0') &&
      m[8] === `${when},${String(r.usec).padStart(6, '0')}+00:00`;
    if (!ok) throw new Error(`record ${samples[i].index}: utmpdump shows ${row}, generated ${JSON.stringify(r)}`);
  });
  return rows.length;
}

// ---------------------------------------------------------------- the parent side
const runVariant = (variant, file, limit = 0) => runChild(__filename, [variant, file, limit], { env: { ...process.env, TZ: 'UTC' } });

// Wall time, and CPU time (user + system) as bash's `time` reports it.
function timeShell(command, file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; time ${command} "$1" > /dev/null 2>&1`, 'bash', file], {
    env: { ...process.env, TZ: 'UTC' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${command} failed`);
  const [user, system] = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
  return { ms, cpuMs: (user + system) * 1000 };
}

function main() {
  const { dir, cleanup } = tempDir('utmpx-bench-');
  try {
    const file = path.join(dir, 'wtmp');
    let t0 = Date.now();
    const samples = generate(file, RECORDS, 997);
    const size = fs.statSync(file).size;
    console.log(`generated ${RECORDS.toLocaleString('en')} records (${(size / 2 ** 20).toFixed(0)} MiB) in ${Date.now() - t0} ms; ` +
      `${validate(dir, samples)} sampled records match utmpdump`);

    // The same pairing as last: sessions() lists as many logins and reboots as last does
    // (its count from the first timed sessions() run below).
    const lastLines = execFileSync('last', ['-f', file], { maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } })
      .toString('latin1').split('\n').filter((l) => l && !/ begins /.test(l)).length;

    t0 = Date.now();
    const lastRuns = [];
    const whoRuns = [];
    const results = {};
    const variants = ['sync', 'async', 'sync-warm', 'async-warm', 'count', 'sessions', 'sessionsAsync', 'stall'];
    for (const v of variants) results[v] = [];
    // Interleaved, so a busy neighbour slows every contender alike.
    for (let run = 0; run < RUNS; run++) {
      if (run < SLOW_RUNS) whoRuns.push(timeShell('who', file));
      lastRuns.push(timeShell('last -f', file));
      for (const v of variants) results[v].push(runVariant(v, file));
    }
    const ours = results.sessions[0].n;
    console.log(`sessions(): ${ours.toLocaleString('en')} sessions, last -f: ${lastLines.toLocaleString('en')} lines ` +
      `(${ours === lastLines ? 'same' : 'DIFFERENT'})`);
    const last = median(lastRuns.map((r) => r.ms));
    const who = median(whoRuns.map((r) => r.ms));
    const lastCpu = median(lastRuns.map((r) => r.cpuMs));
    const whoCpu = median(whoRuns.map((r) => r.cpuMs));
    console.log(`\nmedians of ${RUNS} runs (who: ${SLOW_RUNS}); ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}\n`);
    console.log(`  ${''.padEnd(34)}${'wall time'.padStart(27)}${'CPU time'.padStart(18)}`);
    console.log(`  ${'reader'.padEnd(34)}${'ms'.padStart(9)}${'x last'.padStart(9)}${'x who'.padStart(9)}` +
      `${'ms'.padStart(9)}${'x last'.padStart(9)}${'RSS MB'.padStart(9)}`);
    const row = (name, ms, cpuMs, rss = '') => console.log(`  ${name.padEnd(34)}${ms.toFixed(0).padStart(9)}` +
      `${(ms / last).toFixed(2).padStart(9)}${(ms / who).toFixed(3).padStart(9)}` +
      `${cpuMs.toFixed(0).padStart(9)}${(cpuMs / lastCpu).toFixed(2).padStart(9)}${String(rss).padStart(9)}`);
    row('who FILE > /dev/null (glibc)', who, whoCpu);
    row('last -f FILE > /dev/null', last, lastCpu);
    const m = {};
    const label = {
      sync: 'UtmpFile, for...of', async: 'UtmpFile, for await...of',
      'sync-warm': 'for...of, warm (running process)', 'async-warm': 'for await...of, warm',
      count: 'count USER_PROCESS (for...of)',
      sessions: 'sessions()', sessionsAsync: 'sessionsAsync()', stall: 'for await...of, 1 ms timer probing',
    };
    for (const v of variants) {
      m[v] = {
        ms: median(results[v].map((r) => r.ms)),
        cpuMs: median(results[v].map((r) => r.cpuMs)),
        rss: Math.max(...results[v].map((r) => r.maxRssMB)),
        stall: median(results[v].map((r) => r.stallMs)),
        stallCpu: median(results[v].map((r) => r.stallCpuMs)),
      };
      row(label[v], m[v].ms, m[v].cpuMs, m[v].rss.toFixed(0));
    }

    // Constant memory: a quarter of the file against the whole of it.
    const quarter = runVariant('sync', file, Math.floor(RECORDS / 4));
    console.log(`\n  peak RSS, for...of over ${(RECORDS / 4).toLocaleString('en')} records: ${quarter.maxRssMB.toFixed(0)} MB; ` +
      `over ${RECORDS.toLocaleString('en')}: ${m.sync.rss.toFixed(0)} MB`);
    console.log(`  longest event-loop stall during for await...of (median of the runs' longest): ` +
      `${m.stall.stallCpu.toFixed(1)} ms of main-thread CPU time between 1 ms timer ticks; ` +
      `${m.stall.stall.toFixed(1)} ms of wall time, waiting for a CPU included\n`);

    const targets = [
      ['full-entry iteration (sync) <= 0.4x last -f', m.sync.ms <= 0.4 * last, `${(m.sync.ms / last).toFixed(2)}x`],
      ['full-entry iteration (async) <= 0.4x last -f', m.async.ms <= 0.4 * last, `${(m.async.ms / last).toFixed(2)}x`],
      ['full-entry iteration (sync) >= 15x faster than who', who / m.sync.ms >= 15, `${(who / m.sync.ms).toFixed(1)}x`],
      ['full-entry iteration (async) >= 15x faster than who', who / m.async.ms >= 15, `${(who / m.async.ms).toFixed(1)}x`],
      ['warm iteration (sync) <= 0.4x last -f', m['sync-warm'].ms <= 0.4 * last, `${(m['sync-warm'].ms / last).toFixed(2)}x`],
      ['warm iteration (async) <= 0.4x last -f', m['async-warm'].ms <= 0.4 * last, `${(m['async-warm'].ms / last).toFixed(2)}x`],
      ['warm iteration (async) >= 15x faster than who', who / m['async-warm'].ms >= 15, `${(who / m['async-warm'].ms).toFixed(1)}x`],
      ['sessions() no slower than last -f', m.sessions.ms <= last, `${(m.sessions.ms / last).toFixed(2)}x`],
      ['peak RSS < 100 MB (every variant)', variants.every((v) => m[v].rss < 100), `${Math.max(...variants.map((v) => m[v].rss)).toFixed(0)} MB`],
      ['event-loop stall < 20 ms (async, main-thread CPU time)', m.stall.stallCpu < 20, `${m.stall.stallCpu.toFixed(1)} ms`],
      ['event-loop stall < 20 ms (async, wall time)', m.stall.stall < 20, `${m.stall.stall.toFixed(1)} ms`],
    ];
    let failed = 0;
    for (const [name, ok, value] of targets) {
      if (!ok) failed++;
      console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(56)} ${value}`);
    }
    console.log(`\n  (${((Date.now() - t0) / 1000).toFixed(0)} s of measuring)`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    cleanup();
  }
}

childOrMain(child, main);
