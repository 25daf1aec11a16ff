/** Tests in tiers: unit (pure functions), integration (services on a real database), api (the HTTP server). */
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
}];

const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  transform: { '^.+\\.ts$': swc },
  setupFiles: ['reflect-metadata'],
  ...extra,
});

module.exports = {
  // Each worker opens its own database; two keeps a 2-core machine busy without thrashing.
  maxWorkers: 2,
  testTimeout: 60_000,
  // Prepares a migrated template database once; each test file clones it (test/helpers/database.ts).
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  // fault: its own PostgreSQL cluster, process kills and database crashes (npm run test:fault; .ci/run runs it).
  // e2e drives the built console in Chromium: `npm run test:e2e` (not part of `npm test`; .ci/run runs it).
  projects: [project('unit'), project('integration'), project('api'), project('fault', { testMatch: ['<rootDir>/test/fault/**/*.fault.test.ts'] }), project('e2e')],
};
