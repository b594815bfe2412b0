// Ends a jest run with one plain line, "jest: N passed, N failed[, N skipped]",
// so CI logs close on a count that any reader understands, and a line more
// when the published peer samples are missing, so that those skips are never
// silent. Printed at exit, after jest's own summary (which its default
// reporters print last).
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
  return text;
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const text = summary(results);
    process.once('exit', () => process.stderr.write(text));
  }
}
module.exports = SummaryReporter;
module.exports.summary = summary;
