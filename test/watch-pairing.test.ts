/**
 * A logout names the login it ends, paired as util-linux last(1) pairs them:
 * last -f over the same wtmp (written by `utmpdump -r`) is the oracle. The
 * open logins survive a restart through the position; `since` filters only
 * the records there at the start.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type WatchEvent, watch } from '../lib';
import { MAX_OPEN_LOGINS } from '../lib/watch/pairing';
import { MAX_POSITION_BYTES } from '../lib/watch/position';
import { type DumpRecord, dumpSeconds, dumpTime, tempDir } from './helpers/utmpdump';
import { EventReader, appendWithUtmpdump, binary, loginRecord, logoutRecord } from './helpers/watch';
import { testWith } from './helpers/tools';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-pairing-')));
afterEach(() => cleanup());

const at = (hhmmss: string) => `2024-01-15T${hhmmss},000000+00:00`;
const login = (user: string, line: string, host: string, time: string, pid: number): DumpRecord =>
  ({ type: 7, pid, id: line.slice(-4), user, line, host, addr: '0.0.0.0', time: at(time) });
const logout = (line: string, time: string, pid: number): DumpRecord =>
  ({ type: 8, pid, id: '', user: '', line, host: '', addr: '0.0.0.0', time: at(time) });
const boot = (time: string): DumpRecord => ({ type: 2, pid: 0, id: '~~', user: 'reboot', line: '~', host: '6.1.0', addr: '0.0.0.0', time: at(time) });
const shutdown = (time: string): DumpRecord => ({ type: 1, pid: 0, id: '~~', user: 'shutdown', line: '~', host: '6.1.0', addr: '0.0.0.0', time: at(time) });

/** One session as `last -w --time-format iso` prints it. */
interface LastSession { user: string; line: string; host: string; login: number; logout: number | null; how: string; duration: string }

function lastSessions(file: string): LastSession[] {
  const text = execFileSync('last', ['-w', '--time-format', 'iso', '-f', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  const out: LastSession[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || m[1] === 'reboot' || m[1] === 'shutdown') continue;
    const [, user, tty, host, start, rest] = m;
    const normal = /^- (\S+)\s+\((.*)\)$/.exec(rest);
    const down = /^- (crash|down)\s+\((.*)\)$/.exec(rest);
    if (down) out.push({ user, line: tty, host, login: Date.parse(start), logout: null, how: down[1], duration: down[2] });
    else if (normal) out.push({ user, line: tty, host, login: Date.parse(start), logout: Date.parse(normal[1]), how: 'logout', duration: normal[2] });
    // else still logged in, or gone without a logout: no logout yet
  }
  return out;
}

/** A duration as last prints it: `(HH:MM)`, `(D+HH:MM)`. */
function lastDuration(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(seconds / 86400);
  const hm = `${two(Math.floor(seconds / 3600) % 24)}:${two(Math.floor(seconds / 60) % 60)}`;
  return days > 0 ? `${days}+${hm}` : hm;
}

/** Every event up to and including the first for which `last` holds. */
async function eventsUntil(r: EventReader, last: (e: WatchEvent) => boolean): Promise<WatchEvent[]> {
  const all: WatchEvent[] = [];
  while (!all.some(last)) all.push(...(await r.events(1)));
  return all;
}

describe('pairing, with last(1) as the oracle', () => {
  testWith('utmpdump', 'last')('every session last prints is a logout event with the user, line, host and times of its login', async () => {
    const wtmp = path.join(dir, 'wtmp');
    const records = [
      login('alice', 'pts/1', 'alice.example', '09:00:00', 101), logout('pts/1', '09:45:10', 101),
      login('bob', 'pts/2', 'bob.example', '09:10:00', 102),
      login('carol', 'pts/2', 'carol.example', '09:20:30', 103), // ends bob's session on the same line
      logout('pts/2', '09:50:00', 103),
      login('dave', 'pts/3', 'dave.example', '09:30:00', 104),
      shutdown('10:00:00'), boot('10:05:00'), // dave: down
      login('erin', 'pts/4', 'erin.example', '10:10:00', 105),
      boot('10:47:00'), // no shutdown: erin crashed
      login('frank', 'tty1', 'frank.example', '10:50:00', 106), logout('tty1', '11:20:00', 106),
      logout('pts/9', '11:25:00', 109), // a logout whose login is not in the file
      login('gina', 'pts/6', 'gina.example', '11:30:00', 1), // still logged in: pid 1 runs while the test does (last asks kill(pid, 0)); a fixed pid keeps the committed fixture the same
    ];
    fs.writeFileSync(wtmp, binary(records));
    const oracle = lastSessions(wtmp);
    expect(oracle.map((s) => `${s.user} ${s.how}`).sort()).toEqual(['alice logout', 'bob logout', 'carol logout', 'dave down', 'erin crash', 'frank logout']);

    const w = watch({ files: [wtmp], since: 0 });
    try {
      const events = await eventsUntil(new EventReader(w), (e) => e.type === 'login' && e.user === 'gina');
      const named = events.filter((e) => e.type === 'logout' && e.login);
      expect(named).toHaveLength(oracle.length);
      for (const s of oracle) {
        const e = named.find((x) => x.login!.user === s.user && x.login!.line === s.line);
        expect(e).toBeDefined();
        expect(e!.login!.host).toBe(s.host);
        expect(Math.floor(e!.login!.time.getTime() / 1000) * 1000).toBe(s.login);
        expect(e!.ended).toBe(s.how);
        if (s.logout !== null) expect(Math.floor(e!.time.getTime() / 1000) * 1000).toBe(s.logout);
        expect(lastDuration(Math.floor(e!.time.getTime() / 1000) - s.login / 1000)).toBe(s.duration);
        // The logout's own fields name the session (the DEAD record names only its line).
        expect([e!.user, e!.line, e!.host]).toEqual([s.user, s.line, s.host]);
      }
      // A logout whose login was never seen says how it ended and names no login.
      const orphan = events.find((e) => e.type === 'logout' && e.line === 'pts/9')!;
      expect(orphan.login).toBeUndefined();
      expect(orphan.ended).toBe('logout');
      expect(orphan.user).toBe('');
      // The ends come before the boot or shutdown that made them, in file order.
      const order = events.map((e) => `${e.type}:${e.login?.user ?? e.user}`);
      expect(order.indexOf('logout:dave')).toBeLessThan(order.indexOf('shutdown:shutdown'));
      expect(order.indexOf('logout:erin')).toBeLessThan(order.lastIndexOf('boot:reboot'));
      expect(order.indexOf('logout:bob')).toBeLessThan(order.indexOf('login:carol'));
    } finally {
      await w.close();
    }
  });
});

describe('pairing, with last(1) as the oracle, on a seeded random history', () => {
  testWith('utmpdump', 'last')('300 records on a few lines (logins, logouts, boots, shutdowns): every session last ends is one named logout', async () => {
    let seed = 20;
    const random = () => { // mulberry32: the same history on every run
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const lines = ['pts/0', 'pts/1', 'pts/2', 'pts/3', 'tty1'];
    const records: DumpRecord[] = [];
    let t = Date.UTC(2024, 2, 1);
    for (let i = 0; i < 300; i++) {
      t += 60_000 + Math.floor(random() * 3_600_000);
      const time = dumpTime(t);
      const line = lines[Math.floor(random() * lines.length)];
      const r = random();
      if (r < 0.5) records.push({ type: 7, pid: 2000 + i, id: line.slice(-4), user: `u${i}`, line, host: `h${i}.example`, addr: '0.0.0.0', time });
      else if (r < 0.9) records.push({ type: 8, pid: 2000 + i, id: '', user: '', line, host: '', addr: '0.0.0.0', time });
      else if (r < 0.95) records.push({ ...boot('00:00:00'), time });
      else records.push({ ...shutdown('00:00:00'), time });
    }
    records.push(login('sentinel', 'pts/9', 'sentinel.example', '00:00:00', 1));
    records[records.length - 1].time = dumpTime(t + 60_000);
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary(records));
    const oracle = lastSessions(wtmp);
    expect(oracle.length).toBeGreaterThan(50);
    const w = watch({ files: [wtmp], since: 0 });
    try {
      const events = await eventsUntil(new EventReader(w), (e) => e.type === 'login' && e.user === 'sentinel');
      const named = events.filter((e) => e.type === 'logout' && e.login);
      const key = (user: string, line: string, login: number, end: string, duration: string) => `${user} ${line} ${login} ${end} ${duration}`;
      const got = named.map((e) => key(e.login!.user, e.login!.line, Math.floor(e.login!.time.getTime() / 1000) * 1000, e.ended === 'logout' ? String(Math.floor(e.time.getTime() / 1000) * 1000) : e.ended!,
        lastDuration(Math.floor(e.time.getTime() / 1000) - Math.floor(e.login!.time.getTime() / 1000))));
      const want = oracle.map((s) => key(s.user, s.line, s.login, s.how === 'logout' ? String(s.logout) : s.how, s.duration));
      expect(got.sort()).toEqual(want.sort());
    } finally {
      await w.close();
    }
  });
});

describe('across a restart', () => {
  testWith('utmpdump')('a logout after a restart from the stored position names the login read before it', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    let w = watch({ files: [wtmp] });
    let stored: string;
    let loggedIn: WatchEvent;
    try {
      appendWithUtmpdump(wtmp, [loginRecord(1)]);
      [loggedIn] = await new EventReader(w).events(1);
      stored = JSON.stringify(loggedIn.position);
    } finally {
      await w.close();
    }
    appendWithUtmpdump(wtmp, [logoutRecord(1)]);
    w = watch({ files: [wtmp], position: stored });
    try {
      const [out] = await new EventReader(w).events(1);
      expect(out).toMatchObject({ type: 'logout', user: 'user1', line: 'pts/1', host: '10.0.0.1', address: '10.0.0.1', ended: 'logout' });
      expect(out.login).toEqual({ time: loggedIn.time, user: 'user1', line: 'pts/1', host: '10.0.0.1', address: '10.0.0.1', pid: 10001 });
    } finally {
      await w.close();
    }
  });

  testWith('utmpdump')('a position from before pairing (no open logins) is still read', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary([loginRecord(1)]));
    let w = watch({ files: [wtmp] });
    const old = JSON.parse(JSON.stringify(w.position));
    await w.close();
    for (const p of Object.values(old.sources) as { open?: unknown }[]) delete p.open;
    appendWithUtmpdump(wtmp, [logoutRecord(1), loginRecord(2)]);
    w = watch({ files: [wtmp], position: JSON.stringify(old) });
    try {
      const [out, in2] = await new EventReader(w).events(2);
      expect(out).toMatchObject({ type: 'logout', user: '', line: 'pts/1', ended: 'logout' });
      expect(out.login).toBeUndefined();
      expect(in2).toMatchObject({ type: 'login', user: 'user2' });
    } finally {
      await w.close();
    }
  });

  testWith('utmpdump')('the open logins are bounded: past the cap the oldest is let go with a warning, and the position stays small', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    const w = watch({ files: [wtmp] });
    try {
      const r = new EventReader(w);
      // Distinct lines (pts/N holds 64): long hosts of control characters, as large as JSON makes them.
      const host = '\x01'.repeat(200);
      const logins = Array.from({ length: MAX_OPEN_LOGINS + 5 }, (_, i) => ({ ...loginRecord(i), line: `tty${i}`, host }));
      appendWithUtmpdump(wtmp, logins);
      const events = await r.events(logins.length, 60_000);
      expect(r.warnings.map((x) => x.code)).toContain('ERR_UTMPX_WATCH_OPEN_LOGINS');
      const position = JSON.stringify(events[events.length - 1].position);
      expect(position.length).toBeLessThan(MAX_POSITION_BYTES / 2);
      const open = (JSON.parse(position).sources[`wtmp:${wtmp}`].open as { line: string }[]).map((l) => l.line);
      expect(open.length).toBeLessThanOrEqual(MAX_OPEN_LOGINS);
      expect(open).toContain(`tty${logins.length - 1}`);
      expect(open).not.toContain('tty0');
    } finally {
      await w.close();
    }
  });
});

describe('since filters the replay only', () => {
  testWith('utmpdump')('records appended live with old times (a logout stamped 0, as in Auditbeat\'s test data) are delivered', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, binary([loginRecord(1, Date.UTC(2020, 0, 1)), loginRecord(2, Date.UTC(2030, 0, 1))]));
    const w = watch({ files: [wtmp], since: new Date(Date.UTC(2025, 0, 1)) });
    try {
      const r = new EventReader(w);
      const [replayed] = await r.events(1);
      expect(replayed.user).toBe('user2');
      appendWithUtmpdump(wtmp, [{ ...logoutRecord(1), time: dumpTime(0) }, loginRecord(3, Date.UTC(2020, 0, 1))]);
      const live = await r.events(2);
      expect(live.map((e) => [e.type, e.line, e.time.getTime()])).toEqual([
        ['logout', 'pts/1', 0], ['login', 'pts/3', Math.floor(dumpSeconds(loginRecord(3, Date.UTC(2020, 0, 1)).time) * 1000)],
      ]);
      // The logout pairs with the login before `since` (not replayed, still read).
      expect(live[0].login?.user).toBe('user1');
    } finally {
      await w.close();
    }
  });

  testWith('utmpdump')('a utmp slot rewritten live with an old time is delivered', async () => {
    const utmp = path.join(dir, 'utmp');
    fs.writeFileSync(utmp, binary([loginRecord(1, Date.UTC(2020, 0, 1))]));
    const w = watch({ files: [utmp], since: new Date(Date.UTC(2025, 0, 1)) });
    try {
      const r = new EventReader(w);
      expect(await r.within(300)).toEqual([]);
      fs.writeFileSync(utmp, binary([{ ...logoutRecord(1), time: dumpTime(0) }]));
      const [out] = await r.events(1);
      expect([out.type, out.line, out.time.getTime()]).toEqual(['logout', 'pts/1', 0]);
    } finally {
      await w.close();
    }
  });
});

describe('utmp slots', () => {
  testWith('utmpdump')('a DEAD_PROCESS names the login its slot held; a slot reused without one ends that login at the new login\'s time', async () => {
    const utmp = path.join(dir, 'utmp');
    fs.writeFileSync(utmp, binary([loginRecord(1), loginRecord(2)]));
    const w = watch({ files: [{ path: utmp, kind: 'utmp' }] });
    const r = new EventReader(w);
    try {
      expect(await r.within(300)).toEqual([]);
      fs.writeFileSync(utmp, binary([{ ...logoutRecord(1), line: loginRecord(1).line }, loginRecord(2)]));
      const [out] = await r.events(1);
      expect(out).toMatchObject({ type: 'logout', ended: 'logout', user: 'user1', host: '10.0.0.1', address: '10.0.0.1' });
      expect(out.login).toEqual({ time: new Date(Math.floor(dumpSeconds(loginRecord(1).time) * 1000)), user: 'user1', line: 'pts/1', host: '10.0.0.1', address: '10.0.0.1', pid: 10001 });
      const next = { ...loginRecord(5), line: loginRecord(2).line };
      fs.writeFileSync(utmp, binary([{ ...logoutRecord(1), line: loginRecord(1).line }, next]));
      const [ended, began] = await r.events(2);
      expect(ended).toMatchObject({ type: 'logout', ended: 'logout', user: 'user2', line: 'pts/2' });
      expect(ended.login?.user).toBe('user2');
      expect(ended.time.getTime()).toBe(Math.floor(dumpSeconds(next.time) * 1000));
      expect(began).toMatchObject({ type: 'login', user: 'user5' });
    } finally {
      await w.close();
    }
  });
});

test('a stored position whose open logins are not ones (hand-edited, another program\'s) is read without them', async () => {
  const wtmp = path.join(dir, 'wtmp');
  fs.writeFileSync(wtmp, '');
  let w = watch({ files: [wtmp] });
  const stored = JSON.parse(JSON.stringify(w.position));
  await w.close();
  stored.sources[`wtmp:${wtmp}`].open = [{ line: 5, user: null }, 'x'];
  w = watch({ files: [wtmp], position: JSON.stringify(stored) });
  try {
    fs.appendFileSync(wtmp, binary([loginRecord(1), logoutRecord(1)]));
    const [a, b] = await new EventReader(w).events(2);
    expect([a.type, b.type, b.user, b.login?.user]).toEqual(['login', 'logout', 'user1', 'user1']);
  } finally {
    await w.close();
  }
});
