// Lint rules; the one that matters most keeps I/O out of workflow code (workflows must stay deterministic).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const mongodbOnlyInRepository = { name: 'mongodb', message: 'MongoDB queries, updates and objects belong in src/repository: call a store of the Repository', allowTypeImports: false };
const aboveTheFacade = ['src/sync/**/*.ts', 'src/activities/**/*.ts', 'src/admin/**/*.ts', 'src/api/**/*.ts', 'src/cli/**/*.ts'];

const ioPackages = ['mongodb', 'pg', 'ldapts', 'fastify', 'commander', 'yaml', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'tools/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...ioPackages].map((name) => ({
            name,
            message: 'workflow and model code must not do I/O: move it into an activity',
          })),
          patterns: [
            { group: ['**/repository/**', '**/connectors/**', '**/provisioning/**', '**/sync/**', '**/runtime/**', '**/admin/**'], message: 'workflow and model code import types and pure code only', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // Only the repository talks to MongoDB: nobody else builds a query or an update or holds a MongoDB object.
    // (workflows/ and model/ forbid every I/O package above; mongod.ts pings the server it starts.)
    files: ['src/**/*.ts'],
    ignores: ['src/repository/**', 'src/dev/servers/mongod.ts', 'src/workflows/**', 'src/model/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [mongodbOnlyInRepository] }],
    },
  },
  {
    // Connectors are called, and their errors given a meaning, only by provisioning (the façade).
    files: aboveTheFacade,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [mongodbOnlyInRepository],
          patterns: [
            { group: ['**/connectors', '**/connectors/**'], message: 'use the provisioning façade (src/provisioning/index.ts): only provisioning calls connectors' },
            { group: ['**/provisioning/*'], message: 'import from the provisioning façade (src/provisioning/index.ts), not its inner modules' },
          ],
        },
      ],
    },
  },
  {
    // Tests and benches see the storage layout through one file only.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['test/support/repository-inspector.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'mongodb', message: 'use the repository\'s stores, or test/support/repository-inspector.ts for raw documents', allowTypeImports: false }] },
      ],
    },
  },
);
