/** The run's closing lines: a skip for want of the peer samples is said, with the folder it looked for. */
import * as path from 'path';
import { PEER_SAMPLES } from './helpers/utmpdump';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { summary } = require('./helpers/summary-reporter.js') as { summary: (r: object, dir?: string) => string };
const results = { numPassedTests: 600, numFailedTests: 0, numPendingTests: 20, numTodoTests: 0 };

test('the peer samples missing: one line naming the folder', () => {
  const missing = path.join(__dirname, 'no-such-folder');
  expect(summary(results, missing)).toBe(`jest: 600 passed, 0 failed, 20 skipped\njest: the tests of the utmp files other projects published were skipped: no folder ${missing}\n`);
});

test('the peer samples there: the count alone', () => {
  expect(summary(results, __dirname)).toBe('jest: 600 passed, 0 failed, 20 skipped\n');
});

test('the reporter looks where the tests look', () => {
  const missing = summary(results).includes('no folder');
  expect(missing).toBe(!require('fs').existsSync(PEER_SAMPLES));
  if (missing) expect(summary(results)).toContain(PEER_SAMPLES);
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ciError } = require('./helpers/summary-reporter.js') as { ciError: (r: object, env: object) => Error | undefined };
const skipped = (...titles: string[]) => ({
  ...results,
  testResults: [{ testResults: [...titles.map((title) => ({ status: 'pending', title, fullName: `a file ${title}` })), { status: 'passed', title: 'ran [skipped: never said]' }] }],
});

test('each reason skipped tests give in their titles: one line, with how many gave it', () => {
  const r = skipped('a [skipped: needs logrotate: not on PATH]', 'b [skipped: needs logrotate: not on PATH]', 'c [skipped: not root]', 'd');
  expect(summary(r, __dirname)).toBe('jest: 600 passed, 0 failed, 20 skipped\njest: 2 skipped: needs logrotate: not on PATH\njest: 1 skipped: not root\n');
});

test('in CI a test skipped for want of a tool fails the run, naming the tool; other reasons do not', () => {
  const tool = skipped('a [skipped: needs xz: not on PATH]', 'b [skipped: not root]');
  expect(ciError(tool, { CI: 'true' })?.message).toMatch(/needs xz: not on PATH/);
  expect(ciError(tool, { CI: 'true' })?.message).not.toMatch(/not root/);
  expect(ciError(tool, {})).toBeUndefined();
  expect(ciError(tool, { CI: 'false' })).toBeUndefined();
  expect(ciError(skipped('b [skipped: not root]'), { CI: 'true' })).toBeUndefined();
});
