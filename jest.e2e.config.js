/** End-to-end tests (`npm run test:e2e`): root, a private sshd, tmux; they write the system's databases and restore them. */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testPathIgnorePatterns: ['/node_modules/'],
  reporters: undefined, // jest's default reporters, not the base's summary reporter
};
