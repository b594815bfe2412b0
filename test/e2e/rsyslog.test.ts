/**
 * A real shipper (`npm run test:e2e`, as root): Debian's rsyslog tails the
 * output of `utmpx watch --format ecs >> events.log` with imfile, parses
 * each line with mmjsonparse and writes what it parsed ($!all-json). Under
 * bursts of appends and across a logrotate (copytruncate, as a program
 * writing to its stdout is rotated), it must receive every event exactly
 * once, parsed, with no partial line. rsyslogd runs with its own config and
 * work directory, started and stopped by its pid; the system's rsyslog (if
 * any) is not touched. RSYSLOGD and RSYSLOG_MODULE_DIR name another build
 * (a .deb unpacked with dpkg -x, say).
 */
import { type ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, ORACLE_ENV } from '../helpers/cli-run';
import { appendWithUtmpdump, loginRecord, logoutRecord } from '../helpers/watch';

const RSYSLOGD = process.env.RSYSLOGD ?? '/usr/sbin/rsyslogd';

let work: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'utmpx-rsyslog-'));
});

afterEach(async () => {
  // Whatever happened: each process this test started is stopped by its pid, then the files go.
  await Promise.all(started.splice(0).map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  })));
  fs.rmSync(work, { recursive: true, force: true });
});

async function until(test: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (const deadline = Date.now() + ms; !test();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const linesOf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** JSON with the keys of every object sorted: the same document, whatever order a parser keeps. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Logins and logouts `from` to `to` (exclusive), each on its own line. */
function records(from: number, to: number) {
  const out = [];
  for (let i = from; i < to; i++) out.push(loginRecord(i), logoutRecord(i));
  return out;
}

test('rsyslog (imfile, mmjsonparse) receives every ECS event exactly once, parsed, across bursts and a logrotate copytruncate', async () => {
  if (!fs.existsSync(RSYSLOGD)) throw new Error(`no ${RSYSLOGD}: apt-get install rsyslog (.ci/run does)`);
  const wtmp = path.join(work, 'wtmp');
  const events = path.join(work, 'events.log');
  const received = path.join(work, 'received');
  const failed = path.join(work, 'failed');
  fs.writeFileSync(wtmp, '');
  fs.mkdirSync(path.join(work, 'rsyslog'));
  const conf = path.join(work, 'rsyslog.conf');
  fs.writeFileSync(conf, `
global(workDirectory="${work}/rsyslog")
module(load="imfile" mode="inotify")
module(load="mmjsonparse")
template(name="parsed" type="string" string="%$!all-json%\\n")
template(name="raw" type="string" string="%rawmsg%\\n")
input(type="imfile" file="${events}" tag="utmpx" ruleset="utmpx" reopenOnTruncate="on")
ruleset(name="utmpx") {
  action(type="mmjsonparse" cookie="" useRawMsg="on")
  if $parsesuccess == "OK" then action(type="omfile" file="${received}" template="parsed")
  else action(type="omfile" file="${failed}" template="raw")
}
`);

  // The watch writes to events.log opened for appending (>>), as copytruncate needs.
  const out = fs.openSync(events, 'a');
  const watch = spawn(process.execPath, [CLI, 'watch', '--format', 'ecs', '-f', wtmp, '-f', path.join(work, 'missing-btmp')], { env: ORACLE_ENV, stdio: ['ignore', out, 'pipe'] });
  fs.closeSync(out);
  started.push(watch);
  let watchErr = '';
  watch.stderr!.on('data', (d) => { watchErr += d; });
  await until(() => watchErr.includes('ENOENT'), 'the watch to start', 10_000);

  const modules = process.env.RSYSLOG_MODULE_DIR ? ['-M', process.env.RSYSLOG_MODULE_DIR] : [];
  const rsyslogd = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', path.join(work, 'rsyslogd.pid'), ...modules], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(rsyslogd);
  let rsyslogErr = '';
  rsyslogd.stderr!.on('data', (d) => { rsyslogErr += d; });
  const wanted = (n: number, what: string) => until(() => linesOf(received).length >= n, `${n} events through rsyslog (${what}); rsyslogd: ${rsyslogErr}; failed: ${linesOf(failed).length}`);

  // A burst.
  for (let i = 0; i < 1000; i += 250) appendWithUtmpdump(wtmp, records(i, i + 250));
  await wanted(2000, 'the first burst');

  // Rotated as a program writing to its stdout is: copy, then truncate in place.
  const rotateConf = path.join(work, 'logrotate.conf');
  fs.writeFileSync(rotateConf, `${events} {\n  copytruncate\n  rotate 1\n  missingok\n}\n`);
  execFileSync('logrotate', ['-f', '-s', path.join(work, 'logrotate.state'), rotateConf]);
  expect(fs.existsSync(`${events}.1`)).toBe(true);
  // One event after the rotation, seen through rsyslog: it reads the truncated file from its start.
  appendWithUtmpdump(wtmp, [loginRecord(1000)]);
  await wanted(2001, 'the first event after the rotation');
  // Another burst, larger than the file was.
  appendWithUtmpdump(wtmp, [logoutRecord(1000)]);
  for (let i = 1001; i < 2500; i += 250) appendWithUtmpdump(wtmp, records(i, Math.min(i + 250, 2500)));
  await wanted(5000, 'the second burst');

  await new Promise((r) => setTimeout(r, 500)); // nothing more may come
  expect(linesOf(failed)).toEqual([]);
  const docs = linesOf(received).map((l) => JSON.parse(l));
  const keys = docs.map((d) => `${d.event.action} ${d.process.pid}`);
  const expected = records(0, 2500).map((r) => `${r.type === 7 ? 'user_login' : 'user_logout'} ${r.pid}`);
  expect(new Set(keys).size).toBe(keys.length); // none twice
  expect([...keys].sort()).toEqual([...expected].sort()); // none lost
  // What rsyslog parsed is the document utmpx wrote: the file's lines, field for field.
  const written = new Set([...linesOf(`${events}.1`), ...linesOf(events)].map((l) => canonical(JSON.parse(l))));
  expect(written.size).toBe(expected.length);
  for (const d of docs) {
    const { metadata: _metadata, ...doc } = d;
    expect(written.has(canonical(doc))).toBe(true);
  }
}, 180_000);
