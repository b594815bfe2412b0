/**
 * One rule for field names across the shapes the package returns (README,
 * "Field names"): `line` is the line as recorded, `ut_line` that line as a
 * device path, `address` the address as text. One ssh login, written into a
 * wtmp by `utmpdump -r` and into a lastlog by hand, is read through every
 * shape that carries it, and through the CLI's JSON.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LastlogFile, UtmpFile, sessions, watch } from '../lib';
import { utmpx } from './helpers/cli-run';
import { lastlogRecord } from './helpers/lastlog';
import { tempDir, writeWithUtmpdump } from './helpers/utmpdump';

const LINE = 'pts/4';
const ADDRESS = '10.0.0.5';

let dir: string;
let cleanup: () => void;
let wtmp: string;
let lastlog: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-names-'));
  wtmp = writeWithUtmpdump(path.join(dir, 'wtmp'), [
    { type: 7, pid: 4242, id: 'ts/4', user: 'alice', line: LINE, host: ADDRESS, addr: ADDRESS, time: '2024-01-15T09:30:00,000000+00:00' },
  ]);
  lastlog = path.join(dir, 'lastlog');
  fs.writeFileSync(lastlog, lastlogRecord(1_705_311_000, LINE, ADDRESS));
});
afterAll(() => cleanup());

// The names the rule retired: no shape may carry them.
const RETIRED = ['addr', 'rawLine', 'tty'];

test('UtmpEntry: line as recorded, ut_line the device path, address the text', () => {
  const [e] = new UtmpFile(wtmp).toArray();
  expect(e).toMatchObject({ line: LINE, ut_line: `/dev/${LINE}`, address: ADDRESS });
});

test('LastlogEntry: the same names and meanings as UtmpEntry', () => {
  const [e] = new LastlogFile(lastlog, { resolveUsers: false }).toArray();
  expect(e).toMatchObject({ line: LINE, ut_line: `/dev/${LINE}` });
  for (const name of RETIRED) expect(e).not.toHaveProperty(name);
});

test('Session: line as recorded, address the text', () => {
  const [s] = [...sessions(wtmp)];
  expect(s).toMatchObject({ line: LINE, address: ADDRESS });
  for (const name of RETIRED) expect(s).not.toHaveProperty(name);
});

test('WatchEvent: line as recorded, address the text', async () => {
  const w = watch({ files: [wtmp], since: new Date(0) });
  try {
    const { value } = await w[Symbol.asyncIterator]().next();
    expect(value).toMatchObject({ type: 'login', line: LINE, address: ADDRESS });
    for (const name of RETIRED) expect(value).not.toHaveProperty(name);
  } finally {
    await w.close();
  }
});

test("the CLI's JSON carries the same names", () => {
  const [session] = JSON.parse(utmpx('last', '--json', '-f', wtmp).stdout);
  expect(session).toMatchObject({ line: LINE, address: ADDRESS });
  const [last] = JSON.parse(utmpx('lastlog', '--json', '-f', lastlog).stdout);
  expect(last).toMatchObject({ line: LINE, ut_line: `/dev/${LINE}` });
  for (const name of RETIRED) expect({ ...session, ...last }).not.toHaveProperty(name);
});
