/** @type {import('jest').Config} */
module.exports = {
  // The server's tests, and each workspace package's with its own jest.config.js (`npm test -w <package>` runs
  // those alone).
  projects: [
    {
      displayName: 'server',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      // swc strips types only (fast); `npm run typecheck` runs tsc for the real type check.
      transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
      // jose 6 and double-metaphone 2 ship ESM only: let swc turn them into CommonJS for jest, as Node 20.19+ loads
      // them natively at run time.
      transformIgnorePatterns: ['/node_modules/(?!(jose|double-metaphone)/)'],
      moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
      // The engine's TypeScript sources, as tsconfig.json's paths say, not its build (which may be stale or absent).
      moduleNameMapper: { '^@fhirstone/embedded-mongo$': '<rootDir>/packages/embedded-mongo/src' },
    },
    '<rootDir>/packages/embedded-mongo',
  ],
  // For every project: jest reads the test timeout from this top-level configuration only.
  testTimeout: 30000,
  // Two test files at a time on CI's two cores (jest's default is one fewer than the cores): most of a server test's
  // time is waiting (start-up, the engine's thread, fsync, timers), and the suite takes about half as long.
  maxWorkers: 2,
  // A worker runs file after file, and what one leaves behind (engine threads' buffers, module copies) adds up: two
  // files died of a full heap in CI. A worker past this after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '800MB',
  // `--coverage` (CI runs it): istanbul instruments swc's output (the babel provider). Measured on test/validation,
  // it costs 12-15% more time (warm transform cache), where V8's own coverage cost about 60% more.
  coverageProvider: 'babel',
  // Relative to each project's root: the server's src/ and the engine's (also where the server's tests use it).
  collectCoverageFrom: ['src/**/*.ts', 'packages/*/src/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageDirectory: 'coverage',
};
