/**
 * `npm run test:arch` (root): run.sh mounts one architecture's root and sets
 * UTMPX_ARCH and UTMPX_ARCH_ROOT; the tests run that root's writers, tools
 * and Node under qemu-user.
 */
const path = require('path');
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: path.join(__dirname, '../..'),
  roots: ['<rootDir>/test/arch'],
  testPathIgnorePatterns: ['/node_modules/'],
  reporters: undefined,
  testTimeout: 300000,
};
