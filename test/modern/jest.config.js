/**
 * `npm run test:modern` (root): the Debian 13 test bed. run.sh builds and mounts
 * the root and sets UTMPX_MODERN_ROOT; the tests run the real writers and
 * readers inside it.
 */
const path = require('path');
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: path.join(__dirname, '../..'),
  roots: ['<rootDir>/test/modern'],
  testPathIgnorePatterns: ['/node_modules/'],
  reporters: undefined, // jest's default reporters, not the base's summary reporter
  testTimeout: 120000,
  globalTeardown: '<rootDir>/test/modern/teardown.js',
};
