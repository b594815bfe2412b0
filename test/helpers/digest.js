// Plain JavaScript, so that the worker threads of concurrency.test.ts can
// require it as it is; reliability.ts exports it, typed, to the tests.
const { createHash } = require('crypto');

/** A stable digest of a whole read: every field of every entry, in order. */
function digestEntries(entries) {
  const hash = createHash('sha256');
  for (const e of entries) hash.update(JSON.stringify(e)).update('\n');
  return hash.digest('hex');
}

module.exports = { digestEntries };
