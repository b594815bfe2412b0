// Ends a jest run with one plain line, "jest: N passed, N failed[, N skipped]",
// so CI logs close on a count that any reader understands. Printed at exit,
// after jest's own summary (which its default reporters print last).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const tail = skipped ? `, ${skipped} skipped` : '';
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed${tail}\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
module.exports = SummaryReporter;
