// Ends a jest run with one plain line, "jest: N passed, N failed[, N skipped]",
// so CI logs close on a count that any reader understands, and a line more
// when the published peer samples are missing and for each reason tests gave
// for skipping (a missing tool, say), so that skips are never silent.
// Printed at exit, after jest's own summary (which its default reporters
// print last).
const fs = require('fs');
const path = require('path');

/** Where test/helpers/utmpdump.ts looks for the peer samples (PEER_SAMPLES). */
const PEER_SAMPLES = path.resolve(__dirname, '../../../shared/peer-samples');

/** The closing lines for jest's aggregated `results`, with the samples looked for in `peerSamples`. */
function summary(results, peerSamples = PEER_SAMPLES) {
  const skipped = results.numPendingTests + results.numTodoTests;
  const tail = skipped ? `, ${skipped} skipped` : '';
  let text = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${tail}\n`;
  if (!fs.existsSync(peerSamples)) {
    text += `jest: the tests of the utmp files other projects published were skipped: no folder ${peerSamples}\n`;
  }
  for (const [reason, count] of skipReasons(results)) text += `jest: ${count} skipped: ${reason}\n`;
  return text;
}

/**
 * The reasons skipped tests give in their titles (test/helpers/tools.ts ends
 * them with "[skipped: REASON]"), each with how many tests gave it.
 */
function skipReasons(results) {
  const counts = new Map();
  for (const file of results.testResults ?? []) {
    for (const t of file.testResults ?? []) {
      if (t.status !== 'pending') continue;
      for (const m of `${t.fullName ?? t.title}`.matchAll(/\[skipped: ([^\]]*)\]/g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
    }
  }
  return counts;
}

/** In CI (.ci/run installs every tool), a test skipped for want of a tool is an error: it names them. */
function ciError(results, env = process.env) {
  if (!env.CI || env.CI === 'false') return undefined;
  const missing = [...skipReasons(results).keys()].filter((r) => r.startsWith('needs '));
  if (!missing.length) return undefined;
  return new Error(`CI skipped tests for want of tools (.ci/run installs them): ${missing.join('; ')}`);
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const text = summary(results);
    this.error = ciError(results);
    process.once('exit', () => process.stderr.write(text + (this.error ? `jest: ${this.error.message}\n` : '')));
  }

  /** Jest fails the run (exit 1) when a reporter has an error. */
  getLastError() {
    return this.error;
  }
}
module.exports = SummaryReporter;
module.exports.summary = summary;
module.exports.ciError = ciError;
