/**
 * Two projects: `unit` (test/unit, test/replay) needs no servers, so `npx jest test/unit` starts none;
 * `servers` (integration and e2e) shares one real stack started in its globalSetup, with a Temporal
 * namespace per Jest worker, so its files run in parallel. ts-jest only transpiles (tsconfig.json sets
 * isolatedModules): tsc type-checks everything before the tests run.
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/replay/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'servers',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      setupFiles: ['<rootDir>/test/setup/quiet-sdk-logs.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/fresh-namespace.ts'],
    },
  ],
};
