// `npm run lint`: ESLint's and typescript-eslint's recommended rules over the TypeScript (src, test, bench and any
// packages/* workspace) and the plain Node scripts. `tsc` stays the type check; this adds what it does not look at.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'data/', 'samples/', 'profiles/', 'bench/results/', 'packages/*/dist/'] },
  // A disable comment that suppresses nothing is a finding too, so each one names a rule that fires where it stands.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // `_name` marks a value left unused on purpose (a destructured omission, an Express error handler's `next`),
      // as tsc's noUnusedLocals/noUnusedParameters already allow.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // A `let` assigned once, late, and read by a closure made earlier (server.ts's app) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Control characters in patterns are deliberate here: the engine's key encoding, FHIR's string rules, log escaping.
      'no-control-regex': 'off',
    },
  },
  {
    // The records console: browser code (React), type-checked by console/tsconfig.json.
    files: ['console/**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests read JSON answers as untyped bodies on purpose; src and bench keep the rule.
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs' } },
  // Run by mongosh in the mongo image, where `db` is the connected database.
  { files: ['config/mongo/*.js'], languageOptions: { globals: { db: 'readonly' } } },
);
