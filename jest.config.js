/** Unit and integration tests: no root, never the machine's own databases. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/package/ packs and installs the tarball (`npm run test:package`); test/logind-root/
  // and test/modern/ need root (`npm run test:logind`, `npm run test:modern`); test/arch/ runs
  // under qemu-user (`npm run test:arch`, root).
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/', '/test/logind-root/', '/test/modern/', '/test/package/', '/test/arch/'],
  transform: {
    // Type checking is done once by `npm run typecheck`; here we only transpile.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
