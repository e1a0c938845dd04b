import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { compileCard } from '../../../src/core/card-body.ts';
import { normalizeQuery } from '../../../src/core/normalize-query.ts';
import { PHOENIX_ROOT } from '../../support/phoenix.ts';

// The two example projects of this repository: native cards with text, number and dimension
// parameters, query-builder cards with joins, expressions and orderings by aggregations, models.
const projects = [PHOENIX_ROOT, join(PHOENIX_ROOT, 'test/fixtures/shop')];

describe('a card compiled for a plan', () => {
  it.each(projects)('has the compare form its wire form normalises to (%s)', async (root) => {
    const project = await loadProject({ configPath: join(root, 'metabase.config.yaml'), allowMissingEnv: true });
    const cards = [...project.cards.values()];
    expect(cards.some((c) => c.card.sql !== undefined && Object.keys(c.card.params ?? {}).length > 0)).toBe(true);
    let withUuids = 0;
    for (const entry of cards) {
      const compiled = compileCard(project.config.project, project.config.database.key, entry);
      // The compare form is compiled without uuids; the wire form, with them, is what is sent.
      expect(compiled.compare.dataset_query, entry.card.key).toEqual(normalizeQuery(compiled.wire.dataset_query));
      if (/"(lib\/uuid|id)":"[0-9a-f]{8}-/.test(JSON.stringify(compiled.wire.dataset_query))) withUuids++;
      const { dataset_query: _q, collection_id, ...wire } = compiled.wire;
      const { dataset_query: _c, collection, columns: _m, ...compare } = compiled.compare;
      expect(compare, entry.card.key).toEqual(wire);
      expect(collection, entry.card.key).toEqual(collection_id);
    }
    expect(withUuids).toBeGreaterThan(cards.length / 2);
  });

  it('works out the wire form and the sources once, however often they are read', async () => {
    const project = await loadProject({ configPath: join(PHOENIX_ROOT, 'metabase.config.yaml'), allowMissingEnv: true });
    const compiled = compileCard(project.config.project, project.config.database.key, [...project.cards.values()][0]!);
    expect(compiled.wire).toBe(compiled.wire);
    expect(compiled.sources).toBe(compiled.sources);
  });
});
