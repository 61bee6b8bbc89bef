/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // swc strips types only (fast); `npm run typecheck` runs tsc for the real type check.
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose 6 ships ESM only: let swc turn it into CommonJS for jest, as Node 20.19+ loads it natively at run time.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 30000,
  // `--coverage` (CI runs it): istanbul instruments swc's output (the babel provider). Measured on test/validation,
  // it costs 12-15% more time (warm transform cache), where V8's own coverage cost about 60% more.
  coverageProvider: 'babel',
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageDirectory: 'coverage',
};
