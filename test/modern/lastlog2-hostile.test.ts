/**
 * A lastlog2.db liblastlog2 would never write but any file may hold (issue
 * 17): names stored as BLOBs and as text that is not UTF-8 (its schema is not
 * STRICT), Time values that are reals, text, or beyond any Date. The root's
 * own lastlog2 is the oracle: `utmpx lastlog -f` must print its rows, line for
 * line, in its order. lastlog2 follows a row whose Time is no whole number
 * with a blank line, "Error: Invalid numeric time entry ..." and a blank line
 * on stdout; utmpx says that on stderr, as a warning. (A name that is not
 * UTF-8 is left out here: lastlog2 prints its raw bytes, utmpx U+FFFD, so the
 * column padding differs; test/sqlite-hostile.test.ts reads it once, in order.)
 */
import * as bed from './bed';

const reason = bed.cannotRun();
if (reason) throw new Error(reason);

const DB = '/tmp/hostile-lastlog2.db';

// Python's sqlite3 in the root writes it, with liblastlog2's own CREATE statement.
const WRITER = `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE IF NOT EXISTS Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)')
rows = []
for i in range(3000):
    name = ('user%04d' % i).encode()
    if i % 3 == 0: name = sqlite3.Binary(name)
    elif i % 3 == 2: name = sqlite3.Binary(b'x' + name)
    else: name = name.decode()
    rows.append((name, 1700000000 + i))
rows += [('bob', 1e300), ('dave', 9223372036854775807), ('gus', '12abc'), ('kim', 8640000000001), ('lee', 67768036191676799), ('oz', -62135596801)]
c.executemany("INSERT INTO Lastlog2 VALUES(?, ?, 'pts/1', '10.0.0.9', 'sshd')", rows)
c.commit()
`;

beforeAll(() => {
  bed.out(['sh', '-c', `rm -f ${DB}`]);
  bed.out(['python3', '-c', WRITER, DB]);
});

describe.each(bed.NODES)('$name', ({ bin }) => {
  test.each([[''], ['-s']])('utmpx lastlog %s -f prints the rows lastlog2 -d prints, in its order', (flag) => {
    const flags = flag ? [flag] : [];
    const oracle = bed.run(['lastlog2', ...flags, '-d', DB]);
    expect(oracle.status).toBe(0);
    const rows = oracle.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('Error: '));
    expect(rows.length).toBe(3007); // the header and every row once
    const mine = bed.utmpx(bin, ['lastlog', ...flags, '-f', DB]);
    expect(mine.status).toBe(0);
    expect(mine.stdout).toBe(rows.join('\n') + '\n');
    expect(mine.stderr).toContain("lastlog2 row of 'bob': Time '1.0e+300' is not a whole number");
  });
});
