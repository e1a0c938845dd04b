import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { StructuredQuery } from '../../../src/model/card.ts';
import { compileStructuredQuery } from '../../../src/core/compile-query.ts';
import { EXAMPLE_QUERY, vocabularyMarkdown, withVocabulary } from '../../../src/core/query-vocabulary-doc.ts';
import { AGGREGATIONS, FILTERS } from '../../../src/core/query-vocabulary.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe("the README's query-builder vocabulary", () => {
  it('is the one generated from the table (run `npm run docs` after changing it)', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(vocabularyMarkdown());
    expect(withVocabulary(readme)).toBe(readme);
    for (const spec of [...FILTERS, ...AGGREGATIONS]) expect(vocabularyMarkdown()).toContain(`| \`${spec.yaml}\``);
  });

  it('opens with an example that loads and compiles', () => {
    const { query } = parse(EXAMPLE_QUERY) as { query: unknown };
    const parsed = StructuredQuery.parse(query);
    const compiled = compileStructuredQuery({ project: 'p', cardKey: 'readme', database: 'phoenix', query: parsed, where: 'README.md' });
    expect(JSON.stringify(compiled)).toContain('"lib/type":"mbql/join"');
  });
});
