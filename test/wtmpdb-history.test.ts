/**
 * wtmpdb history at scale (issue 17): newest first in `wtmpdb last`'s order
 * without holding the table, rows deleted during a read, times no Date can
 * hold. Databases are written by Python's sqlite3; the order is checked
 * against SQLite's own `ORDER BY Login DESC, Logout ASC` (run by Python), and
 * the odd times against what the real `wtmpdb last` of Debian 13 printed
 * (test/fixtures/sqlite/odd-times, recorded by its make-expected.sh).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type Session, type UtmpWarning, sessions, sessionsAsync, wtmpdbRows, wtmpdbRowsAsync } from '../lib';
import { CLI, ORACLE_ENV, utmpx } from './helpers/cli-run';
import { tempDir } from './helpers/utmpdump';

const ODD = path.join(__dirname, 'fixtures/sqlite/odd-times');
/** The directory the odd-times outputs were recorded in (the begins line names it). */
const ODD_MADE_IN = '/tmp/utmpx-odd-times';

function python(script: string, args: string[], input = ''): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * Random histories as a busy server writes them, and as they go wrong: logins
 * mostly in ID order, with explicit earlier times, a clock stepped back, an
 * import of old rows, a row from the future, equal logins (and equal logouts),
 * open rows, boots with and without a shutdown, and in the non-STRICT ones
 * cells that are REAL, TEXT or NULL. Prints, per database, the IDs in SQLite's
 * own `ORDER BY Login DESC, Logout ASC, ID` (wtmpdb last's order): of every row,
 * and of the logins and boots.
 */
const RANDOM_HISTORIES = `
import random, sqlite3, sys, json
dir, count = sys.argv[1], int(sys.argv[2])
S = 1000000
out = {}
for seed in range(count):
    rnd = random.Random(seed)
    strict = seed % 4 != 3
    path = '%s/h%d.db' % (dir, seed)
    c = sqlite3.connect(path)
    c.execute('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, '
              'Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)' + (' STRICT' if strict else ''))
    t = 1700000000 * S
    rows = []
    for i in range(rnd.randint(0, 300)):
        t += rnd.choice([0, 0, 1, S, 60 * S, 3600 * S])      # equal logins happen
        login = t
        r = rnd.random()
        if r < 0.05: login = t - rnd.randint(1, 86400) * S    # an explicit earlier time
        elif r < 0.07: t -= rnd.randint(1, 7200) * S; login = t  # the clock stepped back
        elif r < 0.08: login = t + 365 * 86400 * S          # from the future
        elif r < 0.10 and rows: login = rows[rnd.randrange(len(rows))][2]  # the same login as another row
        kind = rnd.random()
        if kind < 0.08:
            logout = login + rnd.randint(1, 9999) * S if rnd.random() < 0.6 else None
            rows.append((1, 'reboot', login, logout, '~', '6.12.%d' % seed, None))
        else:
            typ = 3 if kind < 0.95 else rnd.choice([0, 2])
            logout = None if rnd.random() < 0.2 else login + rnd.choice([0, 0, S, rnd.randint(1, 9999) * S])
            rows.append((typ, 'u%d' % rnd.randint(0, 9), login, logout, 'pts/%d' % rnd.randint(0, 5), '10.0.0.%d' % rnd.randint(0, 9), 'sshd'))
    if rows and rnd.random() < 0.3:                           # an import of old rows at the end
        for k in range(rnd.randint(1, 20)):
            rows.append((3, 'old', 1600000000 * S + k * S, 1600000000 * S + k * S + 60 * S, 'pts/1', 'h', 'sshd'))
    if not strict:
        for k in range(rnd.randint(1, 6)):
            at = rnd.randrange(len(rows) + 1)
            rows.insert(at, (3, 'odd%d' % k, rnd.choice(['abc', 'zz', 1e300, 2.5, None, -5 * S, 9223372036854775807]),
                             rnd.choice([None, 'x', 1e300, 7 * S]), 'pts/9', 'h', 'sshd'))
    c.executemany('INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(?,?,?,?,?,?,?)', rows)
    if rows and rnd.random() < 0.3:                           # rotated: the oldest IDs gone
        c.execute('DELETE FROM wtmp WHERE ID <= ?', (rnd.randint(1, 30),))
    c.commit()
    out[path] = [[r[0] for r in c.execute('SELECT ID FROM wtmp ' + where + ' ORDER BY Login DESC, Logout ASC, ID ASC')]
                 for where in ['', 'WHERE Type IN (1, 3)']]
    c.close()
print(json.dumps(out))
`;

/** `rows` rows in Login order (one a minute; 'tie': all at one time), in one transaction; 'import': then one row older than all. */
function writeLinear(file: string, rows: number, extra: 'none' | 'import' | 'tie' = 'none'): string {
  python(`
import sqlite3, sys
path, n, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3]
S = 1000000
c = sqlite3.connect(path)
c.execute('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT')
def gen():
    for i in range(n):
        t = 1600000000 * S + (0 if extra == 'tie' else i * 60 * S)
        if i % 1000 == 0:
            yield (1, 'reboot', t, None, '~', '6.1.0-%d' % i, None)
        else:
            yield (3, 'user%d' % (i % 5003), t, t + (i % 7) * S if i % 50 else None, 'pts/%d' % (i % 64), '10.%d.%d.%d' % ((i >> 16) & 255, (i >> 8) & 255, i & 255), 'sshd')
    if extra == 'import':
        yield (3, 'imported', 1500000000 * S, 1500000060 * S, 'pts/0', 'old', 'sshd')
c.executemany('INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(?,?,?,?,?,?,?)', gen())
c.commit()
`, [file, String(rows), extra]);
  return file;
}

/** SQLite's own order of the rows (Python runs the query). */
function sqliteOrder(file: string, where = ''): number[] {
  return JSON.parse(python(`
import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
print(json.dumps([r[0] for r in c.execute('SELECT ID FROM wtmp ' + sys.argv[2] + ' ORDER BY Login DESC, Logout ASC, ID ASC')]))
`, [file, where]));
}

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir('utmpx-wtmpdb-history-')));
afterAll(() => cleanup());

describe('newest first, in wtmpdb last\'s order', () => {
  let expected: Record<string, [number[], number[]]>;
  beforeAll(() => {
    const histories = fs.mkdtempSync(path.join(dir, 'random-'));
    expected = JSON.parse(python(RANDOM_HISTORIES, [histories, '120']));
  }, 120_000);

  test('120 random histories: the rows in the order SQLite sorts them, sync and async', async () => {
    let outOfOrder = 0;
    for (const [file, [ids]] of Object.entries(expected)) {
      const warnings: UtmpWarning[] = [];
      const forwardWarnings: UtmpWarning[] = [];
      const newest = [...wtmpdbRows(file, { newestFirst: true, onWarning: (w) => warnings.push(w) })];
      expect({ file, ids: newest.map((r) => r.id) }).toEqual({ file, ids });
      const viaAsync: number[] = [];
      for await (const r of wtmpdbRowsAsync(file, { newestFirst: true })) viaAsync.push(r.id);
      expect(viaAsync).toEqual(ids);
      // The same rows as the forward read, and the warnings of odd cells once each.
      const forward = [...wtmpdbRows(file, { onWarning: (w) => forwardWarnings.push(w) })];
      expect([...newest].sort((a, b) => a.id - b.id)).toEqual(forward);
      const byRow = (list: UtmpWarning[]) => list.map((w) => `${w.offset} ${w.message}`).sort();
      expect(byRow(warnings)).toEqual(byRow(forwardWarnings));
      if (ids.some((id, i) => i > 0 && id > ids[i - 1])) outOfOrder++;
    }
    expect(outOfOrder).toBeGreaterThan(80); // the histories did test the merge
  }, 300_000);

  test('integer-only histories: the forward rows sorted give the same order', () => {
    for (const file of Object.keys(expected).filter((f) => Number(/h(\d+)\.db$/.exec(f)![1]) % 4 !== 3)) {
      const sorted = [...wtmpdbRows(file)].sort((a, b) => b.login - a.login ||
        (a.logout === b.logout ? 0 : a.logout === null ? -1 : b.logout === null ? 1 : a.logout - b.logout) || a.id - b.id);
      expect([...wtmpdbRows(file, { newestFirst: true })]).toEqual(sorted);
    }
  }, 300_000);

  test('sessions({ newestFirst }): the forward sessions (ends, crashes, shutdowns), in SQLite\'s order of their rows', async () => {
    const key = (s: Session) => `${s.index} ${s.kind}`;
    for (const file of Object.keys(expected)) {
      const forward = [...sessions(file, { system: true })];
      const newest = [...sessions(file, { system: true, newestFirst: true })];
      // Rows whose Login is not an integer (users odd*, read as 0) come first in SQLite's order (TEXT) but
      // are 1970 to the forward pairing: the two may disagree on their crash.
      const sure = (list: Session[]) => new Map(list.filter((s) => !s.user.startsWith('odd')).map((s) => [key(s), s]));
      expect(sure(newest)).toEqual(sure(forward));
      expect(newest.length).toBe(forward.length);
      const order = expected[file][1];
      expect(newest.filter((s) => s.kind !== 'shutdown').map((s) => s.index)).toEqual(order);
      const viaAsync: Session[] = [];
      for await (const s of sessionsAsync(file, { system: true, newestFirst: true })) viaAsync.push(s);
      expect(viaAsync).toEqual(newest);
    }
  }, 300_000);

  test('too many rows out of order to hold: still SQLite\'s order, with an UNORDERED_ROWS warning', () => {
    // 120,000 rows in order, then one imported row older than all: every other row is out of order.
    const file = writeLinear(path.join(dir, 'import.db'), 120_000, 'import');
    const warnings: UtmpWarning[] = [];
    const ids = [...wtmpdbRows(file, { newestFirst: true, onWarning: (w) => warnings.push(w) })].map((r) => r.id);
    expect(ids).toEqual(sqliteOrder(file));
    expect(warnings.map((w) => w.code)).toEqual(['UNORDERED_ROWS']);
    // 120,000 rows of one login time: ordered by logout, then ID.
    const tie = writeLinear(path.join(dir, 'tie.db'), 120_000, 'tie');
    const tieWarnings: UtmpWarning[] = [];
    expect([...wtmpdbRows(tie, { newestFirst: true, onWarning: (w) => tieWarnings.push(w) })].map((r) => r.id)).toEqual(sqliteOrder(tie));
    expect(tieWarnings.map((w) => w.code)).toEqual(['UNORDERED_ROWS']);
  }, 300_000);

  test('utmpx last, --json and -n on a random history: wtmpdb last\'s rows in its order', () => {
    const file = Object.keys(expected).find((f) => f.endsWith('/h7.db'))!;
    const order = sqliteOrder(file, 'WHERE Type IN (1, 3)');
    const json = JSON.parse(utmpx('last', '--json', '-f', file).stdout) as Session[];
    expect(json.map((s) => s.index)).toEqual(order);
    const three = utmpx('last', '--ndjson', '-n', '3', '-f', file).stdout.trim().split('\n').map((l) => JSON.parse(l).index);
    expect(three).toEqual(order.slice(0, 3));
    // The human lines: every row (other types too, as ERROR lines), in the same order.
    const users = new Map([...wtmpdbRows(file)].map((r) => [r.id, r.user]));
    const human = utmpx('last', '-w', '-f', file).stdout.split('\n').slice(0, -3).map((l) => l.split(' ')[0]);
    expect(human).toEqual(sqliteOrder(file).map((id) => users.get(id)));
  });
});

describe('memory: a large wtmp.db read newest first in a small heap', () => {
  let big: string;
  // 300,000 rows (about 20 MB): all of them held (as Session objects, or rows to sort) take far more than 40 MB of heap.
  beforeAll(() => { big = writeLinear(path.join(dir, 'big.db'), 300_000); }, 120_000);

  const inSmallHeap = (args: string[]) => spawnSync(process.execPath, ['--max-old-space-size=40', ...args], {
    env: ORACLE_ENV, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'],
  });

  test('sessions({ newestFirst }) over every row', () => {
    const script = `let n = 0, first;
for (const s of require(${JSON.stringify(path.resolve(__dirname, '../dist'))}).sessions(process.argv[1], { newestFirst: true })) { first ??= s.index; n++; }
process.stderr.write(JSON.stringify([n, first]));`;
    const r = inSmallHeap(['-e', script, big]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stderr)).toEqual([300_000, 300_000]);
  }, 300_000);

  test('utmpx last -f, and --ndjson', () => {
    for (const extra of [[], ['--ndjson']]) {
      const r = inSmallHeap([CLI, 'last', ...extra, '-f', big]);
      expect({ extra, status: r.status, stderr: r.stderr }).toEqual({ extra, status: 0, stderr: '' });
    }
  }, 300_000);
});

describe('rows deleted while a read runs (as wtmpdb rotate deletes them)', () => {
  const rotate = (file: string, upToId: number) => python(`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('DELETE FROM wtmp WHERE ID <= ?', (int(sys.argv[2]),))
c.commit()
`, [file, String(upToId)]);

  test.each([[false], [true]])('newestFirst %p: a ROWS_DELETED warning with their count', (newestFirst) => {
    const file = writeLinear(path.join(dir, `rotated-${newestFirst}.db`), 20_000);
    const warnings: UtmpWarning[] = [];
    let n = 0;
    // After the first batch (8192 rows: the oldest forwards, the newest newest first), the oldest rows go.
    const upTo = newestFirst ? 5000 : 15_000;
    for (const s of sessions(file, { newestFirst, onWarning: (w) => warnings.push(w) })) {
      if (n++ === 0) rotate(file, upTo);
      expect(s).toBeDefined();
    }
    const gone = newestFirst ? upTo : upTo - 8192;
    expect(n).toBe(20_000 - gone);
    expect(warnings).toEqual([expect.objectContaining({ code: 'ROWS_DELETED', path: file })]);
    expect(warnings[0].message).toContain(`${gone} rows were deleted`);
  });

  test('nothing deleted: no warning', () => {
    const file = writeLinear(path.join(dir, 'kept.db'), 20_000);
    const warnings: UtmpWarning[] = [];
    expect([...sessions(file, { onWarning: (w) => warnings.push(w) })].length).toBe(20_000);
    expect([...sessions(file, { newestFirst: true, onWarning: (w) => warnings.push(w) })].length).toBe(20_000);
    expect(warnings).toEqual([]);
  });
});

describe('times no Date can hold, and times that are not integers', () => {
  const recorded = fs.readdirSync(ODD).filter((f) => f.endsWith('.txt')).sort();
  let copy: string;
  beforeAll(() => {
    copy = fs.mkdtempSync(path.join(dir, 'odd-'));
    fs.copyFileSync(path.join(ODD, 'odd-times.db'), path.join(copy, 'odd-times.db'));
  });

  test('there are recorded outputs', () => expect(recorded.length).toBeGreaterThanOrEqual(5));

  test.each(recorded)('utmpx last prints what wtmpdb last printed: %s', (name) => {
    const [commandLine, ...lines] = fs.readFileSync(path.join(ODD, name), 'utf8').split('\n');
    const args = commandLine.split(' ').slice(2).map((w) => w.split(ODD_MADE_IN).join(copy));
    const r = utmpx('last', ...args);
    expect(r.stdout).toBe(lines.join('\n').split(ODD_MADE_IN).join(copy));
    expect(r.stdout + r.stderr).not.toMatch(/NaN|undefined|Invalid/);
    // wtmpdb last complains on stderr about the cells it reads as 0: so does utmpx, naming the row.
    expect(r.stderr).toMatch(/row 7: Login 'abc' is not a time in microseconds: read as 0/);
  });

  test('--json: every time a valid date, with TIME_OUT_OF_RANGE and INVALID_TIME warnings on stderr', () => {
    const file = path.join(copy, 'odd-times.db');
    const r = utmpx('last', '--json', '-x', '-f', file);
    const list = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(list.length).toBe(12);
    for (const s of list) {
      expect(typeof s.login).toBe('string');
      expect(Number.isNaN(Date.parse(s.login as string))).toBe(false);
      if (s.logout !== null) expect(Number.isNaN(Date.parse(s.logout as string))).toBe(false);
    }
    const { warnings } = JSON.parse(r.stderr) as { warnings: UtmpWarning[] };
    const codes = new Set(warnings.map((w) => `${w.code} ${w.offset}`));
    for (const c of ['TIME_OUT_OF_RANGE 3', 'TIME_OUT_OF_RANGE 4', 'TIME_OUT_OF_RANGE 9', 'TIME_OUT_OF_RANGE 12',
      'INVALID_TIME 5', 'INVALID_TIME 6', 'INVALID_TIME 7', 'INVALID_TIME 8']) expect(codes).toContain(c);
  });

  test('sessions(): the nearest valid Date beyond the range, 0 for a cell that is not an integer, each said', () => {
    const warnings: UtmpWarning[] = [];
    const list = [...sessions(path.join(copy, 'odd-times.db'), { onWarning: (w) => warnings.push(w) })];
    const by = (user: string) => list.find((s) => s.user === user)!;
    expect(by('maxlogin').login.getTime()).toBe(8.64e15);
    expect(by('maxlogout').logout!.getTime()).toBe(8.64e15);
    expect(by('minlogin').login.getTime()).toBe(-8.64e15);
    expect(by('textlogin').login.getTime()).toBe(0);
    expect(by('reallogout').logout!.getTime()).toBe(0);
    expect(list.every((s) => !Number.isNaN(s.login.getTime()) && (s.logout === null || !Number.isNaN(s.logout.getTime())))).toBe(true);
    expect(warnings.filter((w) => w.code === 'INVALID_TIME').map((w) => w.offset)).toEqual([5, 6, 7, 8]);
    expect(() => [...sessions(path.join(copy, 'odd-times.db'), { strict: true })]).toThrow(expect.objectContaining({ code: 'ERR_UTMPX_BAD_RECORD' }));
  });
});
