/**
 * `npm run test:package`: builds the prebuild, packs the tarball and installs
 * it into a scratch project with no compiler and no network. Slow (a native
 * build), so it is not part of `npm test`; `.ci/run` runs it.
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/package'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
};
