/**
 * logind tests (`npm run test:logind`): root, inside a private mount namespace
 * (the script starts jest under `unshare -m --propagation private`), where
 * they mount a tmpfs over /run/systemd and write session files.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/logind-root'],
  testPathIgnorePatterns: ['/node_modules/'],
  reporters: undefined, // jest's default reporters, not the base's summary reporter
};
