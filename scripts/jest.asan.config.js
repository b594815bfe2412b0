/**
 * `npm run test:asan` (scripts/asan.sh): the unit suite without the leak
 * test, which measures RSS, which ASAN's quarantine inflates by design.
 */
const base = require('../jest.config.js');

module.exports = {
  ...base,
  rootDir: '..',
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '/test/leak'],
};
