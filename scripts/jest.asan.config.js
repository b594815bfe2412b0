/**
 * `npm run test:asan` (scripts/asan.sh): the unit suite without the leak
 * test, which measures RSS, which ASAN's quarantine inflates by design, and
 * without the static tests (scripts/static-tests.js).
 */
const base = require('../jest.config.js');

module.exports = {
  ...base,
  rootDir: '..',
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '/test/leak', ...require('./static-tests.js')],
};
