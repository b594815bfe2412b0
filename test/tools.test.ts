/** Which tools the tests may use: on PATH, and the program it claims to be (Debian 13's `last` is wtmpdb's). */
import * as fs from 'fs';
import * as path from 'path';
import { have, skipNote, whyMissing } from './helpers/tools';
import { tempDir } from './helpers/utmpdump';

let dir: string;
let cleanup: () => void;
const savedPath = process.env.PATH;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('utmpx-tools-'));
  // Debian 13's /usr/bin/last is a link to wtmpdb; util-linux's says so in --version.
  fs.writeFileSync(path.join(dir, 'last'), '#!/bin/sh\necho "wtmpdb 0.73.0"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'utmpdump'), '#!/bin/sh\necho "utmpdump from util-linux 2.38.1"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'logrotate'), 'not executable\n', { mode: 0o644 });
  process.env.PATH = dir;
});
afterAll(() => {
  process.env.PATH = savedPath;
  cleanup();
});

test('a tool not on PATH, or not executable there, is missing, and says so', () => {
  expect(whyMissing('zstd')).toBe('not on PATH');
  expect(whyMissing('logrotate')).toBe('not on PATH');
  expect(have('zstd')).toBe(false);
});

test("wtmpdb's last is not util-linux's last; util-linux's utmpdump is itself", () => {
  expect(whyMissing('last')).toBe(`${path.join(dir, 'last')} is not util-linux's (its --version: "wtmpdb 0.73.0")`);
  expect(whyMissing('utmpdump')).toBeNull();
});

test('the note in a skipped title names each missing tool with its reason', () => {
  expect(skipNote(['utmpdump'])).toBeNull();
  expect(skipNote(['utmpdump', 'zstd', 'last'])).toBe('[skipped: needs zstd: not on PATH] ' +
    `[skipped: needs last: ${path.join(dir, 'last')} is not util-linux's (its --version: "wtmpdb 0.73.0")]`);
});
