/**
 * `utmpx watch --format ecs` checked against the Elastic Common Schema's own
 * definitions (@elastic/ecs): every field of every event, from all five
 * sources. wtmp, btmp and utmp are written by util-linux's `utmpdump -r`,
 * wtmp.db by Python's sqlite3 (as libwtmpdb writes it), and logind's sessions
 * are sd-login's answers as the logind tests fake them. `id -u` is the oracle
 * of user.id.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ECS_VERSION, type WatchEvent, ecsDocument } from '../lib';
import { toLogindSession } from '../lib/sources/logind';
import type { NativeLogindSession } from '../lib/platform/native';
import { LogindFeed } from '../lib/watch/logind-feed';
import type { SourceEvent } from '../lib/watch/events';
import type { SourcePosition } from '../lib/watch/position';
import type { SourceSink } from '../lib/watch/feed';
import { CUSTOM, ECS_PACKAGE_VERSION, ecsProblems, freeOfEcs, watchLines } from './helpers/ecs';
import { type DumpRecord, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

jest.mock('../lib/sources/logind', () => ({ ...jest.requireActual('../lib/sources/logind'), logindSessionsAsync: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const logindMock = require('../lib/sources/logind') as { logindSessionsAsync: jest.Mock };

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-ecs-')));
afterEach(() => cleanup());

const KERNEL = '6.1.0-13-amd64';
const rec = (type: number, pid: number, id: string, user: string, line: string, host: string, addr: string, time: string): DumpRecord =>
  ({ type, pid, id, user, line, host, addr, time: `2024-03-0${time}+00:00` });

const WTMP: DumpRecord[] = [
  rec(2, 0, '~~', 'reboot', '~', KERNEL, '0.0.0.0', '1T08:00:00,000000'),
  rec(7, 4242, 'ts/1', 'root', 'pts/1', 'host.example.org', '192.0.2.5', '1T09:00:00,250000'),
  rec(7, 4243, 'ts/2', 'alice', 'pts/2', '2001:db8::7', '2001:db8::7', '1T09:01:00,000000'),
  rec(7, 1500, ':0', 'bob', ':0', ':0', '0.0.0.0', '1T09:02:00,000000'),
  rec(7, 4004, '%0', 'carol', 'pts/3', 'tmux(4004).%0', '0.0.0.0', '1T09:03:00,000000'),
  rec(8, 4242, '', '', 'pts/1', '', '0.0.0.0', '1T10:00:00,000000'),
  rec(1, 48, '~~', 'shutdown', '~', KERNEL, '0.0.0.0', '1T11:00:00,000000'),
];
const BTMP: DumpRecord[] = [
  rec(6, 3307, '', 'root', 'ssh:notty', '10.0.2.2', '10.0.2.2', '2T17:42:26,000000'),
  rec(6, 3308, '', 'no-such-user-zq', 'ssh:notty', 'attacker.example.net', '0.0.0.0', '2T17:43:00,000000'),
];
const UTMP: DumpRecord[] = [
  rec(2, 0, '~~', 'reboot', '~', KERNEL, '0.0.0.0', '3T08:00:00,000000'),
  rec(7, 5151, 'ts/4', 'dave', 'pts/4', '198.51.100.3', '198.51.100.3', '3T09:00:00,000000'),
];

/** The uid `id -u` gives for a name, or null when there is no such account. */
function uidOf(user: string): string | null {
  const r = spawnSync('id', ['-u', '--', user], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** What every event is checked for: valid ECS, and Auditbeat's choices that hold for all. */
function expectValid(docs: Record<string, unknown>[]): void {
  for (const d of docs) expect({ doc: d, problems: ecsProblems(d) }).toEqual({ doc: d, problems: [] });
}

describe('the checker', () => {
  test('finds what ECS 9.4.0 refuses (so that a pass means something)', () => {
    const good = { '@timestamp': '2024-03-01T09:00:00.000Z', ecs: { version: ECS_PACKAGE_VERSION }, event: { kind: 'event', category: ['authentication'], type: ['start'] } };
    expect(ecsProblems(good)).toEqual([]);
    expect(ecsProblems({ ...good, ecs: undefined } as unknown as Record<string, unknown>)).not.toEqual([]);
    expect(ecsProblems({ ...good, user: { terminal: 'pts/0' } })).toEqual(['user.terminal: no ECS field (and not under utmpx.)']);
    expect(ecsProblems({ ...good, source: { ip: ':0' } })).toEqual(['source.ip: ":0" is not an IP address']);
    expect(ecsProblems({ ...good, process: { pid: '12' } })).toEqual(['process.pid: "12" is not an integer']);
    expect(ecsProblems({ ...good, event: { ...good.event, type: ['start', 'authentication_success'] } })).toEqual([
      'event.type: "authentication_success" is no allowed value', 'event.type authentication_success is not expected with event.category authentication',
    ]);
    expect(ecsProblems({ ...good, event: { ...good.event, category: ['host'], type: ['denied'] } })).toEqual(['event.type denied is not expected with event.category host']);
    expect(ecsProblems({ ...good, related: { user: 'root' } })).toEqual(['related.user: must be an array']);
  });

  test('the custom object collides with no ECS name, and the version is the package\'s', () => {
    expect(freeOfEcs(CUSTOM)).toBe(true);
    expect(ECS_VERSION).toBe(ECS_PACKAGE_VERSION);
  });
});

test('wtmp, btmp and utmp through utmpx watch -f DIR --format ecs: every event valid, Auditbeat\'s fields', async () => {
  writeWithUtmpdump(path.join(dir, 'wtmp'), WTMP);
  writeWithUtmpdump(path.join(dir, 'btmp'), BTMP);
  writeWithUtmpdump(path.join(dir, 'utmp'), UTMP);
  const n = 7 + 3 + 2 + 2; // wtmp's records, the 3 sessions its shutdown ends (last's "down"), btmp's, utmp's
  const r = await watchLines(['-f', dir, '--format', 'ecs', '--since', '2000-01-01'], n);
  expect(r.status).toBe(0);
  const docs = r.lines.map((l) => JSON.parse(l));
  expect(docs).toHaveLength(n);
  expectValid(docs);
  const by = (file: string, time: string) => docs.find((d) => d.log.file.path === path.join(dir, file) && d['@timestamp'] === `2024-03-0${time}Z`);

  const boot = by('wtmp', '1T08:00:00.000');
  expect(boot).toMatchObject({ event: { action: 'boot', category: ['host'], type: ['start'] }, host: { os: { kernel: KERNEL } }, message: 'System boot' });
  expect(boot.user).toBeUndefined();
  expect(boot.event.outcome).toBeUndefined();
  // The sessions the shutdown ends come first, at its time (as last's "down"): the shutdown itself is last.
  const shutdown = docs.find((d) => d.log.file.path === path.join(dir, 'wtmp') && d.event.action === 'shutdown');
  expect(shutdown).toMatchObject({ event: { action: 'shutdown', category: ['host'], type: ['end'] } });
  expect(shutdown.user).toBeUndefined();

  const root = by('wtmp', '1T09:00:00.250');
  expect(root).toMatchObject({
    event: { kind: 'event', action: 'user_login', category: ['authentication'], type: ['start'], outcome: 'success', dataset: 'utmpx.wtmp' },
    user: { name: 'root' }, related: { user: ['root'], ip: ['192.0.2.5'] }, process: { pid: 4242 },
    source: { ip: '192.0.2.5', domain: 'host.example.org' }, utmpx: { terminal: 'pts/1' },
  });
  expect(root.user.id).toBe(uidOf('root') ?? undefined);
  expect(typeof root.host.hostname).toBe('string');
  expect(root.message).toContain('root');
  expect(by('wtmp', '1T09:01:00.000')).toMatchObject({ source: { ip: '2001:db8::7' }, related: { ip: ['2001:db8::7'] } });
  expect(by('wtmp', '1T09:01:00.000').source.domain).toBeUndefined();

  // An X display and a tmux pane are no address and no domain: they stay under utmpx.host.
  for (const [time, host] of [['1T09:02:00.000', ':0'], ['1T09:03:00.000', 'tmux(4004).%0']]) {
    const d = by('wtmp', time);
    expect(d.source).toBeUndefined();
    expect(d.related.ip).toBeUndefined();
    expect(d.utmpx.host).toBe(host);
  }
  const logout = by('wtmp', '1T10:00:00.000');
  expect(logout).toMatchObject({ event: { action: 'user_logout', category: ['authentication'], type: ['end'] }, utmpx: { terminal: 'pts/1' } });
  expect(logout.event.outcome).toBeUndefined();

  const failed = by('btmp', '2T17:42:26.000');
  expect(failed).toMatchObject({
    event: { action: 'user_login', type: ['start'], outcome: 'failure', dataset: 'utmpx.btmp' },
    user: { name: 'root' }, source: { ip: '10.0.2.2' }, process: { pid: 3307 }, utmpx: { terminal: 'ssh:notty' },
  });
  const unknown = by('btmp', '2T17:43:00.000');
  expect(uidOf('no-such-user-zq')).toBeNull();
  expect(unknown.user).toEqual({ name: 'no-such-user-zq' });
  expect(unknown.source).toEqual({ domain: 'attacker.example.net' });

  expect(by('utmp', '3T09:00:00.000')).toMatchObject({ event: { action: 'user_login', dataset: 'utmpx.utmp' }, user: { name: 'dave' }, source: { ip: '198.51.100.3' } });
  expect(by('utmp', '3T08:00:00.000')).toMatchObject({ event: { action: 'boot' } });
}, 30_000);

test('wtmp.db (written by Python\'s sqlite3 as libwtmpdb writes it): every event valid', async () => {
  const db = path.join(dir, 'wtmp.db');
  const S = 1_000_000;
  const T = 1_709_283_600 * S; // 2024-03-01T09:00:00Z
  const script = `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT')
rows = [(1, 'reboot', ${T - 3600 * S}, ${T + 7200 * S}, '~', '${KERNEL}', None),
        (3, 'root', ${T}, ${T + 600 * S}, 'pts/0', '192.0.2.9', 'sshd'),
        (3, 'alice', ${T + 60 * S}, None, 'pts/1', 'client.example.org', 'sshd'),
        (3, 'bob', ${T + 120 * S}, None, 'tty1', None, 'login')]
c.executemany('INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(?,?,?,?,?,?,?)', rows)
c.commit()
`;
  const py = spawnSync('python3', ['-c', script, db], { encoding: 'utf8' });
  expect(py.stderr).toBe('');
  const r = await watchLines(['-f', db, '--format', 'ecs', '--since', '2000-01-01'], 6);
  expect(r.status).toBe(0);
  const docs = r.lines.map((l) => JSON.parse(l));
  expectValid(docs);
  expect(docs.map((d) => d.event.action).sort()).toEqual(['boot', 'shutdown', 'user_login', 'user_login', 'user_login', 'user_logout']);
  for (const d of docs.filter((x) => x.event.category[0] === 'host')) expect(d.user).toBeUndefined();
  const alice = docs.find((d) => d.user?.name === 'alice');
  expect(alice).toMatchObject({ source: { domain: 'client.example.org' }, utmpx: { terminal: 'pts/1', service: 'sshd' }, event: { dataset: 'utmpx.wtmpdb' } });
  expect(docs.find((d) => d.user?.name === 'root' && d.event.action === 'user_login')).toMatchObject({ source: { ip: '192.0.2.9' }, related: { ip: ['192.0.2.9'] } });
}, 30_000);

describe('logind (sd-login faked as the logind tests fake it)', () => {
  const START = 1_709_283_600_123_456; // µs
  const raw = (fields: Partial<NativeLogindSession>): NativeLogindSession =>
    ({ id: '3', uid: 1000, user: 'alice', class: 'user', state: 'active', startUsec: START, leader: 4242, fromFile: [], ...fields });

  /** The events a LogindFeed makes as sd-login answers `rounds` in turn (its first read starts from no session). */
  async function logindEvents(rounds: NativeLogindSession[][]): Promise<SourceEvent[]> {
    const events: SourceEvent[] = [];
    const sink: SourceSink = {
      event: (e) => events.push(e), warning: () => undefined, gap: () => undefined, progress: () => undefined,
      room: async () => undefined, stopped: false,
    };
    const src = new LogindFeed(dir);
    src.start({ kind: 'position', saved: { kind: 'logind', sessions: [] } as SourcePosition }, sink);
    for (const round of rounds) {
      logindMock.logindSessionsAsync.mockResolvedValueOnce(round.map((s) => toLogindSession(s, () => undefined)));
      await src.readNew(sink, 'poll');
    }
    src.close();
    return events;
  }

  test('logins and logouts (ssh from an address, an X display, a console): every event valid', async () => {
    const ssh = raw({ id: '3', type: 'tty', service: 'sshd', remoteHost: '203.0.113.4', guessedPty: 'pts/0' });
    const x11 = raw({ id: '4', user: 'bob', uid: 1001, type: 'x11', display: ':0', seat: 'seat0', leader: 900, startUsec: START + 1000 });
    const tty = raw({ id: '5', user: 'root', uid: 0, type: 'tty', tty: 'tty1', service: 'login', leader: 901, startUsec: START + 2000 });
    const events = await logindEvents([[ssh, x11, tty], [tty]]);
    expect(events.map((e) => [e.type, e.user])).toEqual([['login', 'alice'], ['login', 'bob'], ['login', 'root'], ['logout', 'alice'], ['logout', 'bob']]);
    const docs = events.map((e) => ecsDocument({ ...e, position: { version: 1, sources: {} } } as unknown as WatchEvent, { hostname: 'h' }));
    expectValid(docs);
    expect(docs[0]).toMatchObject({ source: { ip: '203.0.113.4' }, user: { name: 'alice' }, process: { pid: 4242 }, utmpx: { session_id: '3', service: 'sshd' }, event: { dataset: 'utmpx.logind' } });
    expect(docs[1].source).toBeUndefined();
    expect(docs[1].utmpx).toMatchObject({ host: ':0' });
    expect(docs[3]).toMatchObject({ event: { action: 'user_logout', type: ['end'] }, user: { name: 'alice' } });
  });
});

test('a logout that names its login: event.start, event.end, event.duration in nanoseconds, user and source from the login', () => {
  const login = { time: new Date('2024-03-01T09:00:00.250Z'), user: 'alice', line: 'pts/1', host: '192.0.2.5', address: '192.0.2.5', pid: 4242 };
  const logout = {
    type: 'logout', time: new Date('2024-03-01T10:30:00.000Z'), user: '', line: 'pts/1', host: '', address: null, source: 'wtmp',
    position: { version: 1, sources: {} }, login, ended: 'logout',
  } as unknown as WatchEvent;
  const d = ecsDocument(logout, { hostname: 'h', uidOf: () => null }) as Record<string, any>;
  expect(ecsProblems(d)).toEqual([]);
  expect(d.event).toMatchObject({ start: '2024-03-01T09:00:00.250Z', end: '2024-03-01T10:30:00.000Z', duration: (5400_000 - 250) * 1e6 });
  expect(d).toMatchObject({ user: { name: 'alice' }, source: { ip: '192.0.2.5' }, process: { pid: 4242 }, related: { user: ['alice'], ip: ['192.0.2.5'] }, utmpx: { ended: 'logout' } });
});

test('a remote host is source.ip only as an address, source.domain only as a DNS name, else utmpx.host', () => {
  const doc = (host: string, address: string | null = null) => ecsDocument({
    type: 'failed', time: new Date(0), user: 'u', line: 'ssh:notty', host, address, source: 'btmp', position: { version: 1, sources: {} },
  } as unknown as WatchEvent, { hostname: 'h', uidOf: () => null }) as Record<string, any>;
  const cases: [string, string | null, unknown, string | undefined][] = [
    ['2001:db8::7', null, { ip: '2001:db8::7' }, undefined],
    ['gw.example.net', '192.0.2.1', { ip: '192.0.2.1', domain: 'gw.example.net' }, undefined],
    ['xn--bcher-kva.example.', null, { domain: 'xn--bcher-kva.example.' }, undefined],
    [':0', null, undefined, ':0'],
    ['localhost:10.0', null, undefined, 'localhost:10.0'],
    ['tmux(4004).%0', null, undefined, 'tmux(4004).%0'],
    ['bob@192.0.2.1', null, undefined, 'bob@192.0.2.1'],
    ['-bad.example', null, undefined, '-bad.example'],
    [`${'a'.repeat(64)}.example`, null, undefined, `${'a'.repeat(64)}.example`],
    ['a'.repeat(300), null, undefined, 'a'.repeat(300)],
  ];
  for (const [host, address, source, kept] of cases) {
    const d = doc(host, address);
    expect([host, d.source, d.utmpx?.host]).toEqual([host, source, kept]);
    expect(ecsProblems(d)).toEqual([]);
  }
});
