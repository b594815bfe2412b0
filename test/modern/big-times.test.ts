/**
 * Times JavaScript numbers cannot hold (issue 21): wtmpdb and lastlog2 keep
 * 64-bit integers, and a number rounds those beyond 2^53. libwtmpdb and
 * liblastlog2 themselves write them here (INT64_MAX - 1000 is what
 * liblastlog2's own y2038_sqlite3_time test writes); `wtmpdb last` and
 * `lastlog2` print them, and `utmpx last`/`lastlog` must print the same lines,
 * in the same order, while --json carries each exact value, as sqlite3 reads it.
 */
import * as bed from './bed';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const WTMP = '/tmp/big-wtmp.db';
const LASTLOG2 = '/tmp/big-lastlog2.db';
const FAR = 2n ** 63n - 1n - 1000n;
const P53 = 2n ** 53n;

// The JSON the writers read, by hand: JSON.stringify cannot write these numbers (Python reads them exactly).
const json = (rows: Record<string, string | bigint | number>[]) =>
  `[${rows.map((r) => `{${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join(', ')}}`).join(', ')}]`;

const WTMP_OPS = json([
  { op: 'login', user: 'old', usec: 1700000000000000n, tty: 'pts/1', rhost: '10.0.0.1', service: 'sshd', name: 'old' },
  { op: 'logout', name: 'old', usec: 1700000060000000n },
  { op: 'login', type: 1, user: 'reboot', usec: FAR - 10n, tty: '~', rhost: '6.12.0', name: 'boot' },
  { op: 'login', user: 'alice', usec: FAR - 5n, tty: 'pts/0', rhost: '10.0.0.5', service: 'sshd', name: 'alice' },
  { op: 'logout', name: 'alice', usec: FAR },
  { op: 'login', user: 'bob', usec: FAR - 3n, tty: 'ssh', rhost: '', service: 'sshd', name: 'bob' },
  // Equal as numbers, not as integers: their order is the exact one (Login descending, Logout ascending).
  { op: 'login', user: 'ivy', usec: P53 + 5n, tty: 'pts/4', service: 'sshd', name: 'ivy' },
  { op: 'login', user: 'hal', usec: P53 + 3n, tty: 'pts/5', service: 'sshd', name: 'hal' },
  { op: 'login', user: 'gus', usec: P53 + 1n, tty: 'pts/6', service: 'sshd', name: 'gus' },
  { op: 'logout', name: 'gus', usec: P53 + 5n },
  { op: 'login', user: 'dan', usec: P53 + 1n, tty: 'pts/2', service: 'sshd', name: 'dan' },
  { op: 'logout', name: 'dan', usec: P53 + 3n },
  // The last microsecond of the year 9999, rounded up to the year 10000 by a number.
  { op: 'login', user: 'eve', usec: 253402300799999999n, tty: 'pts/3', service: 'sshd', name: 'eve' },
  { op: 'logout', name: 'eve', usec: 253402300800000001n },
]);

const LASTLOG2_ROWS = json([
  { user: 'root', time: FAR, tty: 'ssh', rhost: '10.0.0.5', service: 'sshd' },
  { user: 'dan', time: P53 + 1n, tty: 'pts/2', service: 'sshd' },
  { user: 'bin', time: P53 + 3n, tty: 'pts/3', service: 'login' },
  { user: 'eve', time: 67768036191676799n, tty: 'pts/3', service: 'sshd' },
  { user: 'fay', time: 1700000000, tty: 'tty1', service: 'login' },
]);

beforeAll(() => {
  bed.out(['rm', '-f', WTMP, LASTLOG2]);
  bed.out(['python3', '/opt/utmpx-test/writers.py', 'wtmpdb', WTMP], { input: WTMP_OPS });
  bed.out(['python3', '/opt/utmpx-test/writers.py', 'lastlog2', LASTLOG2], { input: LASTLOG2_ROWS });
});

/** `sqlite3` in the root, every value as text (its own reading of the 64-bit integers). */
function sqliteText(db: string, sql: string): string[][] {
  return bed.out(['sqlite3', '-readonly', '-separator', '|', db, sql]).trim().split('\n').map((l) => l.split('|'));
}

test('the writers stored the exact values (sqlite3 reads them back)', () => {
  expect(sqliteText(LASTLOG2, "SELECT Name, Time FROM Lastlog2 WHERE Name = 'root'")).toEqual([['root', String(FAR)]]);
  expect(sqliteText(WTMP, "SELECT User, Login FROM wtmp WHERE User = 'eve'")).toEqual([['eve', '253402300799999999']]);
});

const LAST_FLAGS = [[], ['-F'], ['-x'], ['-w'], ['--time-format', 'iso'], ['--time-format', 'full'], ['--time-format', 'notime'], ['-n', '4']];

describe.each(bed.NODES)('$name', ({ bin }) => {
  test.each(LAST_FLAGS.map((f) => [f.join(' '), f]))('utmpx last -f %s prints what wtmpdb last prints', (_, flags) => {
    const oracle = bed.out(['wtmpdb', 'last', '-f', WTMP, ...flags]);
    expect(oracle).toMatch(/^bob /); // the newest login first: the exact order
    const mine = bed.utmpx(bin, ['last', '-f', WTMP, ...flags]);
    expect(mine.status).toBe(0);
    expect(mine.stdout).toBe(oracle);
  });

  test.each([[''], ['-s']])('utmpx lastlog %s -f prints what lastlog2 -d prints', (flag) => {
    const flags = flag ? [flag] : [];
    const oracle = bed.out(['lastlog2', ...flags, '-d', LASTLOG2]);
    const mine = bed.utmpx(bin, ['lastlog', ...flags, '-f', LASTLOG2]);
    expect(mine.status).toBe(0);
    expect(mine.stdout).toBe(oracle);
  });

  test('lastlog --json and the library: each time exactly, as sqlite3 reads it', () => {
    const stored = new Map(sqliteText(LASTLOG2, 'SELECT Name, Time FROM Lastlog2').map(([n, t]) => [n, t]));
    const mine = bed.utmpx(bin, ['lastlog', '--json', '-f', LASTLOG2]);
    const entries = JSON.parse(mine.stdout) as { user: string; time: number; exactTime?: string }[];
    expect(entries.map((e) => [e.user, e.exactTime ?? String(e.time)]).sort()).toEqual([...stored].sort());
    expect(entries.find((e) => e.user === 'fay')!.exactTime).toBeUndefined(); // a time a number holds: no digits beside it
    const rows = bed.facts<[string, string][]>(bin,
      `return [...utmpx.wtmpdbRows('${WTMP}')].map((r) => [r.user, r.exactLogin ?? String(r.login)]);`);
    expect(rows).toEqual(sqliteText(WTMP, 'SELECT User, Login FROM wtmp ORDER BY ID'));
  });
});

/**
 * Row IDs a number rounds: 20,000 rows with IDs from 2^62 (Python's sqlite3
 * choosing them, as any writer may) lost a row and made `utmpx last` warn of
 * deletions; `wtmpdb last -f` is the oracle.
 */
describe('row IDs beyond 2^53', () => {
  const BIG_IDS = '/tmp/big-ids-wtmp.db';
  beforeAll(() => {
    bed.out(['rm', '-f', BIG_IDS]);
    bed.out(['python3', '-c', `
import sqlite3, sys
S = 1000000
BASE = 1700000000 * S
rows = [(2**62 + i, 1 if i % 5000 == 4999 else 3, 'u%d' % i, BASE + i * S if i % 997 else BASE - i * S,
         None if i % 7 == 0 else BASE + i * S + 60 * S, '~' if i % 5000 == 4999 else 'pts/%d' % (i % 50), '10.0.0.1', 'sshd')
        for i in range(20000)]
w = sqlite3.connect(sys.argv[1])
w.execute("CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT")
w.executemany("INSERT INTO wtmp VALUES (?,?,?,?,?,?,?,?)", rows)
w.commit()
`, BIG_IDS]);
  });

  test.each(bed.NODES.flatMap(({ name, bin }) => [[name, bin, []], [name, bin, ['-x']]] as [string, string, string[]][]))(
    '%s (%s): utmpx last -f DB %j prints what wtmpdb last -f prints, and warns of nothing', (_, bin, flags) => {
      const oracle = bed.out(['wtmpdb', 'last', '-f', BIG_IDS, ...flags]);
      expect(oracle.split('\n').filter((l) => l.startsWith('u')).length).toBe(20000); // every row (the boots too are named u<i>)
      const mine = bed.utmpx(bin, ['last', '-f', BIG_IDS, ...flags]);
      expect(mine.stderr).toBe('');
      expect(mine.status).toBe(0);
      expect(mine.stdout).toBe(oracle);
    });
});
