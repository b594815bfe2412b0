/**
 * The committed fixtures of test/fixtures/utmpdump/ are what util-linux's
 * `utmpdump -r` makes of their text: each is checked against utmpdump itself
 * where it exists, so a machine without it (Debian 13) reads records utmpdump
 * wrote, never ones this project made up.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { UTMPDUMP_FIXTURES, fixtureName, runUtmpdumpReverse } from './helpers/utmpdump';
import { testWith } from './helpers/tools';

const names = fs.readdirSync(UTMPDUMP_FIXTURES).filter((n) => n.endsWith('.bin.gz')).map((n) => n.slice(0, -'.bin.gz'.length)).sort();
const text = (name: string) => zlib.gunzipSync(fs.readFileSync(path.join(UTMPDUMP_FIXTURES, `${name}.txt.gz`)));
const binary = (name: string) => zlib.gunzipSync(fs.readFileSync(path.join(UTMPDUMP_FIXTURES, `${name}.bin.gz`)));

test('there are fixtures, each beside its text and named by the digest of that text', () => {
  expect(names.length).toBeGreaterThan(50);
  for (const name of names) expect(fixtureName(text(name))).toBe(name);
});

testWith('utmpdump')('each binary is what utmpdump -r makes of its text today', () => {
  for (const name of names) {
    const made = runUtmpdumpReverse(text(name));
    if (!made.equals(binary(name))) throw new Error(`test/fixtures/utmpdump/${name}.bin.gz differs from what utmpdump -r makes of ${name}.txt.gz`);
  }
});
