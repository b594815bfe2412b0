/**
 * `utmpx watch --format ecs` writes its lines straight from an event's ECS
 * fields (lib/cli/watch-ecs.ts) instead of toJson(ecsDocument(e)): the bytes
 * must be exactly those, for the events of real files (Auditbeat's test
 * vectors, rebuilt by `utmpdump -r`) and for hostile strings (quotes,
 * backslashes, controls, lone surrogates, C1 and bidi characters).
 */
import * as fs from 'fs';
import * as path from 'path';
import { type WatchEvent, ecsDocument, watch } from '../lib';
import { toJson } from '../lib/cli/output';
import { ecsLine } from '../lib/cli/watch-ecs';
import { ecsFields, isoTime } from '../lib/watch/ecs';
import { type DumpRecord, tempDir, utmpdumpReverse, writeWithUtmpdump } from './helpers/utmpdump';

const FIXTURES = path.resolve(__dirname, 'fixtures/peers/auditbeat');
const POSITION = { version: 1, sources: {} };
const rec = (type: number, pid: number, id: string, user: string, line: string, host: string, addr: string, time: string): DumpRecord =>
  ({ type, pid, id, user, line, host, addr, time: `2024-03-01T${time}+00:00` });

/** The line as it was written before: the document, then JSON. */
const reference = (e: WatchEvent, options: Parameters<typeof ecsDocument>[1]) => toJson(ecsDocument(e, options));
const fast = (e: WatchEvent, options: Parameters<typeof ecsDocument>[1]) => ecsLine(ecsFields(e, options));

test('the events of Auditbeat\'s test files: the same bytes as toJson(ecsDocument(e))', async () => {
  const { dir, cleanup } = tempDir('utmpx-ecs-line-');
  try {
    const text = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'latin1');
    fs.writeFileSync(path.join(dir, 'wtmp'), utmpdumpReverse(text('wtmp.txt') + text('wtmp.appended.txt')));
    fs.writeFileSync(path.join(dir, 'btmp'), utmpdumpReverse(text('btmp_ubuntu1804.txt')));
    // A boot, logins from an address, a name, an X display and a tmux pane, a logout that names its login, a shutdown.
    writeWithUtmpdump(path.join(dir, 'history'), [
      rec(2, 0, '~~', 'reboot', '~', '6.1.0-13-amd64', '0.0.0.0', '08:00:00,000000'),
      rec(7, 4242, 'ts/1', 'root', 'pts/1', 'host.example.org', '192.0.2.5', '09:00:00,250000'),
      rec(7, 4243, 'ts/2', 'alice', 'pts/2', '2001:db8::7', '2001:db8::7', '09:01:00,000000'),
      rec(7, 1500, ':0', 'bob', ':0', ':0', '0.0.0.0', '09:02:00,000000'),
      rec(7, 4004, '%0', 'carol', 'pts/3', 'tmux(4004).%0', '0.0.0.0', '09:03:00,000000'),
      rec(8, 4242, '', '', 'pts/1', '', '0.0.0.0', '10:00:00,000000'),
      rec(1, 48, '~~', 'shutdown', '~', '6.1.0-13-amd64', '0.0.0.0', '11:00:00,000000'),
    ]);
    const expected = JSON.parse(text('expected.json')).files as Record<string, unknown[]>;
    const total = expected.wtmp.length + expected.btmp_ubuntu1804.length + 7 + 3; // the shutdown ends 3 sessions (last's "down")
    const events: WatchEvent[] = [];
    const w = watch({ files: [path.join(dir, 'wtmp'), path.join(dir, 'btmp'), path.join(dir, 'history')], since: 0 });
    for await (const item of w) {
      if (item.type !== 'warning' && item.type !== 'gap') events.push(item);
      if (events.length >= total) break;
    }
    expect(events.length).toBe(total);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['login', 'logout', 'boot', 'shutdown', 'failed']));
    expect(events.filter((e) => e.login !== undefined).length).toBeGreaterThanOrEqual(4);
    for (const uidOf of [() => null, () => 1000]) {
      for (const e of events) expect(fast(e, { hostname: 'h', uidOf })).toBe(reference(e, { hostname: 'h', uidOf }));
    }
  } finally {
    cleanup();
  }
});

const HOSTILE = [
  '', 'a"b', 'back\\slash', '\\"', 'tab\there', 'nl\nx', '\r\b\f\v', '\u0000', '\u001b[31mred', '\u007f', '\u0085', '\u009b2J',
  '\u2028\u2029', '\u200b', '\u202e', '\u2066x\u2069', '\ufeff', '\ud800', 'x\udc00y', '\ud83d\ude00', 'é', '日本', '</script>',
  '192.0.2.1', '2001:db8::7', 'host.example.org', ':0', 'tmux(4004).%0', '~', 'reboot', '-bad.example', '%s%n', '{"a":1}',
];

/** Deterministic pseudo-random numbers (a run fails the same way every time). */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('hostile strings in every field, every event type: the same bytes as toJson(ecsDocument(e))', () => {
  const random = generator(20);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const chars = HOSTILE.join('').split('').concat(['a', '.', ':', '1']);
  const any = () => (random() < 0.5 ? pick(HOSTILE) : Array.from({ length: Math.floor(random() * 12) }, () => pick(chars)).join(''));
  const times = [0, -1, 999, 1705276800250, 1705276800250 + 86_400_000 * 3 + 7, 253402300800000, -62198755200001, 8.64e15];
  const numbers = [undefined, 0, 1, 4242, -5, 2 ** 31 - 1];
  const types: WatchEvent['type'][] = ['login', 'logout', 'failed', 'boot', 'shutdown'];
  let compared = 0;
  for (let i = 0; i < 5000; i++) {
    const e = {
      type: pick(types), time: new Date(pick(times)), user: any(), line: any(), host: any(), address: random() < 0.3 ? null : any(),
      source: pick(['wtmp', 'btmp', 'utmp', 'wtmpdb', 'logind']), position: POSITION,
    } as WatchEvent;
    const pid = pick(numbers);
    if (pid !== undefined) e.pid = pid;
    const session = pick(numbers);
    if (session !== undefined) e.session = session;
    if (random() < 0.5) e.path = any();
    if (random() < 0.3) e.service = any();
    if (random() < 0.3) e.sessionId = any();
    if (random() < 0.3) e.ended = pick(['logout', 'crash', 'down']);
    if (random() < 0.4) {
      e.login = { time: new Date(pick(times)), user: any(), line: any(), host: any(), address: random() < 0.5 ? null : any() };
      if (random() < 0.5) e.login.pid = pick([1, 77]);
      if (random() < 0.3) e.login.sessionId = any();
    }
    const options = { hostname: random() < 0.9 ? 'h' : any(), uidOf: random() < 0.5 ? () => null : () => 1000 };
    expect([i, fast(e, options)]).toEqual([i, reference(e, options)]);
    compared++;
  }
  expect(compared).toBe(5000);
});

test('isoTime is toISOString, across days, years past 9999 and before 1970; an invalid Date still throws', () => {
  const random = generator(7);
  const times = [0, -1, -1500, 999, 1000, 86_399_999, 86_400_000, -86_400_001, 253402300799999, 253402300800000, 8.64e15, -8.64e15];
  for (let i = 0; i < 20000; i++) times.push(i % 2 ? Math.floor((random() * 2 - 1) * 8.64e15) : 1705276800000 + Math.floor(random() * 86_400_000 * 3));
  for (const t of times) expect([t, isoTime(new Date(t))]).toEqual([t, new Date(t).toISOString()]);
  expect(() => isoTime(new Date(NaN))).toThrow(RangeError);
});
