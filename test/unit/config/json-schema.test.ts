import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../../../src/config/json-schema.ts';

describe('the committed JSON Schemas', () => {
  it('match the zod schemas (run `npm run schema` after changing them)', async () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(await readFile(join(import.meta.dirname, '../../../schemas', file), 'utf8')) as unknown;
      expect(committed, file).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
});
