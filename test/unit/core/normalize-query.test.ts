import { describe, expect, it } from 'vitest';
import { normalizeQuery } from '../../../src/core/normalize-query.ts';

describe('normalizeQuery', () => {
  // A query is JSON from the server: a key spelled __proto__ is data there, and must stay data, not
  // become the prototype of the normalised copy (which would drop the key and change what it inherits).
  it('keeps a key named __proto__ in a stage, a join and a template tag as a key', () => {
    const query = JSON.parse(`{
      "lib/type": "mbql/query", "database": 1,
      "stages": [{
        "lib/type": "mbql.stage/native", "native": "SELECT {{__proto__}}",
        "__proto__": { "polluted": true },
        "template-tags": { "__proto__": { "name": "__proto__", "type": "text" } },
        "joins": [{ "__proto__": ["x"], "stages": [] }]
      }]
    }`) as unknown;
    const stage = (normalizeQuery(query) as { stages: Array<Record<string, unknown>> }).stages[0]!;
    expect(Object.getPrototypeOf(stage)).toBe(Object.prototype);
    expect(Object.hasOwn(stage, '__proto__')).toBe(true);
    expect((stage as { polluted?: unknown }).polluted).toBeUndefined();
    const tags = stage['template-tags'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(Object.keys(tags)).toEqual(['__proto__']);
    const join = (stage.joins as Array<Record<string, unknown>>)[0]!;
    expect(Object.getPrototypeOf(join)).toBe(Object.prototype);
    expect(Object.keys(join)).toEqual(['__proto__', 'stages']);
  });

  // SQL without variables is sent with `template-tags: {}`; Metabase's normaliser may drop the empty
  // map on save, and a query stored as a list of tags (0.63+) may come back with an empty list.
  it('reads no template tags, an empty map and an empty list as the same query', () => {
    const native = (tags?: unknown) => normalizeQuery({ 'lib/type': 'mbql/query', database: 1, stages: [{ 'lib/type': 'mbql.stage/native', native: 'SELECT 1', ...(tags === undefined ? {} : { 'template-tags': tags }) }] });
    expect(native({})).toEqual(native());
    expect(native([])).toEqual(native());
    expect(native({ d: { name: 'd', type: 'date' } })).not.toEqual(native());
  });
});
