/**
 * Each subcommand's --json and --ndjson output against its documented JSON
 * Schema (schema/*.schema.json): every field it prints is in the schema with
 * its type, and every field the schema requires is printed. The files are
 * written by util-linux's `utmpdump -r` and by Python (struct for lastlog,
 * sqlite3 for wtmp.db and lastlog2.db), never by this project.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { utmpx } from './helpers/cli-run';
import { watchLines } from './helpers/ecs';
import { schemaProblems } from './helpers/json-schema';
import { type DumpRecord, tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const SCHEMA = path.resolve(__dirname, '../schema');
const schema = (name: string) => path.join(SCHEMA, `${name}.schema.json`);

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('utmpx-json-schema-')));
afterEach(() => cleanup());

const rec = (type: number, pid: number, id: string, user: string, line: string, host: string, addr: string, time: string): DumpRecord =>
  ({ type, pid, id, user, line, host, addr, time: `2024-03-01T${time},000000+00:00` });
const WTMP: DumpRecord[] = [
  rec(2, 0, '~~', 'reboot', '~', '6.1.0-13-amd64', '0.0.0.0', '08:00:00'),
  rec(1, 0x35, '~~', 'runlevel', '~', '6.1.0-13-amd64', '0.0.0.0', '08:00:01'),
  rec(7, 4242, 'ts/1', 'alice', 'pts/1', '192.0.2.5', '192.0.2.5', '09:00:00'),
  rec(7, 4243, 'ts/2', 'bob', 'pts/2', ':0', '0.0.0.0', '09:01:00'),
  rec(8, 4242, '', '', 'pts/1', '', '0.0.0.0', '10:00:00'),
  rec(1, 0x30, '~~', 'shutdown', '~', '6.1.0-13-amd64', '0.0.0.0', '11:00:00'),
];
const BTMP: DumpRecord[] = [rec(6, 3307, '', 'root', 'ssh:notty', '10.0.2.2', '10.0.2.2', '12:00:00')];

function python(script: string, ...args: string[]): void {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
}

/** `utmpx ARGS --json` and `--ndjson`, each checked against the schema (an --ndjson line is an item of the array). */
function expectBoth(name: string, args: string[], nonEmpty = true): void {
  const json = utmpx(...args, '--json');
  expect([args, json.status, json.stderr]).toEqual([args, 0, '']);
  const doc = JSON.parse(json.stdout);
  if (nonEmpty) expect(Array.isArray(doc) ? doc.length : 1).toBeGreaterThan(0);
  expect([args, schemaProblems(schema(name), doc)]).toEqual([args, []]);
  const nd = utmpx(...args, '--ndjson');
  const lines = nd.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect([args, schemaProblems(schema(name), Array.isArray(doc) ? lines : lines[0])]).toEqual([args, []]);
}

test('the checker finds a field the schema lacks, a field missing, a wrong type (so that a pass means something)', () => {
  const who = utmpx('who', '-a', '--json', writeWithUtmpdump(path.join(dir, 'utmp'), WTMP.slice(0, 3)));
  const [entry] = JSON.parse(who.stdout);
  expect(schemaProblems(schema('who'), [entry])).toEqual([]);
  expect(schemaProblems(schema('who'), [{ ...entry, extra: 1 }])).toEqual(['$[0]: extra is not in the schema']);
  const { ut_user: _u, ...missing } = entry;
  expect(schemaProblems(schema('who'), [missing])).toEqual(['$[0]: ut_user missing']);
  expect(schemaProblems(schema('who'), [{ ...entry, ut_pid: '1' }])).toEqual(['$[0].ut_pid: string, not integer']);
  expect(schemaProblems(schema('users'), {})).toEqual(['$: object, not array']);
});

test('who, users, dump, boot, last, lastb: their JSON is what schema/ says', () => {
  const wtmp = writeWithUtmpdump(path.join(dir, 'wtmp'), WTMP);
  const utmp = writeWithUtmpdump(path.join(dir, 'utmp'), WTMP.slice(0, 4));
  const btmp = writeWithUtmpdump(path.join(dir, 'btmp'), BTMP);
  expectBoth('who', ['who', utmp]);
  expectBoth('who', ['who', '-a', utmp]);
  expectBoth('users', ['users', utmp]);
  expectBoth('dump', ['dump', wtmp]);
  expectBoth('boot', ['boot', '-f', utmp]);
  expectBoth('last', ['last', '-x', '-f', wtmp]);
  expectBoth('lastb', ['lastb', '-f', btmp]);
  // Nobody logged in: an empty array, which the schema takes too.
  const empty = path.join(dir, 'empty-utmp');
  fs.writeFileSync(empty, '');
  expect(utmpx('who', '--json', empty).stdout).toBe('[]\n');
  expectBoth('who', ['who', empty], false);
});

test('last from wtmp.db, lastlog from lastlog and lastlog2.db: their JSON is what schema/ says', () => {
  const db = path.join(dir, 'wtmp.db');
  python(`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT')
c.execute("INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES(3, 'alice', 1709283600000000, 1709287200000000, 'pts/0', '192.0.2.9', 'sshd')")
c.commit()`, db);
  expectBoth('last', ['last', '-f', db]);
  const lastlog = path.join(dir, 'lastlog');
  python(`
import struct, sys
with open(sys.argv[1], 'wb') as f:
    f.seek(292 * 1000)
    f.write(struct.pack('<i32s256s', 1709283600, b'pts/1', b'10.0.0.5'))`, lastlog);
  expectBoth('lastlog', ['lastlog', '-f', lastlog]);
  const ll2 = path.join(dir, 'lastlog2.db');
  python(`
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute('CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)')
c.execute("INSERT INTO Lastlog2 VALUES('alice', 1709283600, 'ssh', '192.0.2.9', 'sshd')")
c.commit()`, ll2);
  expectBoth('lastlog', ['lastlog', '-f', ll2]);
});

test('watch --ndjson: each line is an item of what schema/watch.schema.json says', async () => {
  writeWithUtmpdump(path.join(dir, 'wtmp'), WTMP);
  writeWithUtmpdump(path.join(dir, 'btmp'), BTMP);
  const r = await watchLines(['-f', dir, '--ndjson', '--since', '2000-01-01'], 5);
  expect(r.status).toBe(0);
  expect(schemaProblems(schema('watch'), r.lines.map((l) => JSON.parse(l)))).toEqual([]);
}, 30_000);
