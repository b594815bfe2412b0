/** `npm run test:node-versions`: the unit suite without the static tests (scripts/static-tests.js). */
const base = require('../jest.config.js');

module.exports = {
  ...base,
  rootDir: '..',
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, ...require('./static-tests.js')],
};
