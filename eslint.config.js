// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'schemas/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The layering rule from CONTRIBUTING.md: core is pure.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['axios', 'pg', '@electric-sql/*', 'node:fs*', 'node:child_process', 'node:http*'], message: 'src/core is pure: no I/O.' },
          { group: ['../engine/*', '../resources/*', '../metabase/*', '../postgres/*', '../cli/*'], message: 'Arrows point inwards to core.' },
        ],
      }],
      'no-console': 'error',
    },
  },
);
