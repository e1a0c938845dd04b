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
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', { property: 'localeCompare', message: 'its first call builds an ICU collator (8 ms of a start): use compareText (src/core/compare-text.ts).' }],
    },
  },
  // The layering rule from CONTRIBUTING.md, one block per layer: arrows point inwards to core and
  // model; a layer imports only the layers inside it.
  layer('src/model/**/*.ts', 'the authoring model (zod schemas) is the ground floor with core', ['config', 'engine', 'resources', 'metabase', 'postgres', 'cli']),
  {
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['axios', 'pg', '@electric-sql/*', 'node:fs*', 'fs', 'fs/*', 'node:child_process', 'child_process', 'node:http*', 'http', 'https', 'node:net', 'net'], message: 'src/core is pure: no I/O.' },
          { group: ['../config/*', '../engine/*', '../resources/*', '../metabase/*', '../postgres/*', '../cli/*'], message: 'Arrows point inwards to core.' },
          // The model's schemas use core's vocabulary, so core takes only the model's types.
          { group: ['../model/*'], message: 'core imports only types from the model.', allowTypeImports: true },
        ],
      }],
      'no-console': 'error',
      // A dynamic import would slip past the rules above.
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'src/core is pure and loads nothing at run time.' }],
    },
  },
  layer('src/config/**/*.ts', 'config reads and checks the files; it knows nothing of Metabase or the engine', ['engine', 'resources', 'metabase', 'cli']),
  layer('src/metabase/**/*.ts', 'the HTTP client knows nothing of the kinds or the engine', ['config', 'engine', 'resources', 'postgres', 'cli']),
  layer('src/resources/**/*.ts', 'handlers are driven by the engine, never the other way round', ['engine', 'cli', 'config']),
  layer('src/engine/**/*.ts', 'the engine never prints (events go to the cli)', ['cli']),
  layer('src/postgres/**/*.ts', 'the SQL side knows nothing of Metabase', ['engine', 'resources', 'metabase', 'cli']),
);

/** Forbids a layer's files to import the given sibling layers. */
function layer(files, why, forbidden) {
  return {
    files: [files],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: forbidden.map((l) => `../${l}/*`), message: `Layering (CONTRIBUTING.md): ${why}.` }] }],
    },
  };
}
