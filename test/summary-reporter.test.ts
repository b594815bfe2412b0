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
