/**
 * logind sessions in a watch are held within the bounds of the open logins of
 * a history (MAX_OPEN_LOGINS, MAX_OPEN_LOGIN_BYTES): more sessions than that
 * (a fake sd-login answering thousands) keep the position small enough to be
 * read back by --state, say so once, and let go of the oldest without
 * reporting them again as logins.
 */
import type { NativeLogindSession } from '../lib/platform/native';
import { toLogindSession } from '../lib/sources/logind';
import type { SourceEvent, SourceWarning } from '../lib/watch/events';
import type { SourceSink } from '../lib/watch/feed';
import { LogindFeed } from '../lib/watch/logind-feed';
import { MAX_OPEN_LOGINS, MAX_OPEN_LOGIN_BYTES } from '../lib/watch/pairing';
import { type SourcePosition, parsePosition } from '../lib/watch/position';
import { tempDir } from './helpers/utmpdump';

jest.mock('../lib/sources/logind', () => ({ ...jest.requireActual('../lib/sources/logind'), logindSessionsAsync: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const logindMock = require('../lib/sources/logind') as { logindSessionsAsync: jest.Mock };

const START = 1_709_283_600_000_000; // µs
const session = (i: number, host = `192.0.2.${i % 250}`): NativeLogindSession =>
  ({ id: String(i + 1), uid: 1000, user: `u${i}`, class: 'user', state: 'active', type: 'tty', service: 'sshd', remoteHost: host,
    guessedPty: `pts/${i}`, startUsec: START + i * 1_000_000, leader: 10_000 + i, fromFile: [] });

function feed(): { src: LogindFeed; events: SourceEvent[]; warnings: SourceWarning[]; read: (round: NativeLogindSession[]) => Promise<void>; cleanup: () => void } {
  const { dir, cleanup } = tempDir('utmpx-logind-cap-');
  const events: SourceEvent[] = [];
  const warnings: SourceWarning[] = [];
  const sink: SourceSink = {
    event: (e) => events.push(e), warning: (w) => warnings.push(w), gap: () => undefined, progress: () => undefined,
    room: async () => undefined, stopped: false,
  };
  const src = new LogindFeed(dir);
  src.start({ kind: 'position', saved: { kind: 'logind', sessions: [] } as SourcePosition }, sink);
  const read = async (round: NativeLogindSession[]) => {
    logindMock.logindSessionsAsync.mockResolvedValueOnce(round.map((s) => toLogindSession(s, () => undefined)));
    await src.readNew(sink, 'poll');
  };
  return { src, events, warnings, read, cleanup };
}

test('more sessions than a watch keeps: the newest kept, said once, no login twice, the kept ones\' logouts named', async () => {
  const f = feed();
  try {
    const all = Array.from({ length: MAX_OPEN_LOGINS + 200 }, (_, i) => session(i));
    await f.read(all);
    expect(f.events.filter((e) => e.type === 'login')).toHaveLength(all.length);
    expect(f.warnings.map((w) => w.code)).toEqual(['ERR_UTMPX_WATCH_OPEN_LOGINS']);
    expect(f.warnings[0].message).toContain('u0 on pts/0');
    const kept = f.src.position().sessions;
    expect(kept).toHaveLength(MAX_OPEN_LOGINS);
    expect(kept[0].user).toBe('u200');

    f.events.length = 0;
    await f.read(all); // the same sessions: nothing new, the let-go ones included
    expect(f.events).toEqual([]);
    await f.read(all.slice(100, 300)); // the first 100 (let go) and the last 900 (kept) ended
    expect(f.events.map((e) => e.type)).toEqual(Array(MAX_OPEN_LOGINS - 100).fill('logout'));
    expect(f.events.every((e) => e.login !== undefined && e.user === e.login.user)).toBe(true);
    expect(f.events[0].user).toBe('u300');
    f.events.length = 0;
    await f.read([...all.slice(100, 300), session(0)]); // id 1 again after it was let go and ended: a new login
    expect(f.events.map((e) => [e.type, e.user])).toEqual([['login', 'u0']]);
    expect(f.warnings).toHaveLength(1);
  } finally {
    f.cleanup();
  }
});

test('sessions with long hostile hosts: the position stays within the bytes a watch keeps, and --state can read it back', async () => {
  const f = feed();
  try {
    const host = '\u0001'.repeat(250) + '.example';
    await f.read(Array.from({ length: MAX_OPEN_LOGINS }, (_, i) => session(i, `${i}${host}`)));
    expect(f.events).toHaveLength(MAX_OPEN_LOGINS);
    const position = { version: 1, sources: { logind: f.src.position() } };
    const text = JSON.stringify(position);
    expect(text.length).toBeLessThanOrEqual(MAX_OPEN_LOGIN_BYTES);
    expect(f.src.position().sessions.length).toBeLessThan(MAX_OPEN_LOGINS);
    expect(parsePosition(text).sources.logind).toEqual(f.src.position());
    expect(f.warnings.map((w) => w.code)).toEqual(['ERR_UTMPX_WATCH_OPEN_LOGINS']);
  } finally {
    f.cleanup();
  }
});

test('a stored position with more sessions than a watch keeps is cut to the newest on start', () => {
  const { dir, cleanup } = tempDir('utmpx-logind-cap-');
  try {
    const sessions = Array.from({ length: MAX_OPEN_LOGINS + 5 }, (_, i) =>
      ({ id: String(i + 1), start: START + i, user: `u${i}`, line: `pts/${i}`, host: '', pid: 0, service: null }));
    const warnings: SourceWarning[] = [];
    const sink = { event: () => undefined, warning: (w: SourceWarning) => warnings.push(w), gap: () => undefined, progress: () => undefined, room: async () => undefined, stopped: false } as SourceSink;
    const src = new LogindFeed(dir);
    src.start({ kind: 'position', saved: { kind: 'logind', sessions } as SourcePosition }, sink);
    expect(src.position().sessions.map((s) => s.user)).toEqual(sessions.slice(5).map((s) => s.user));
    expect(warnings).toHaveLength(1);
  } finally {
    cleanup();
  }
});
