import { describe, expect, it } from 'vitest';
import { parseSelectors, selectedAddresses } from '../../../src/core/select.ts';

const kinds = ['card', 'dashboard', 'collection', 'collection-permissions', 'database'];

describe('selectedAddresses', () => {
  it("keeps a duplicate mb-sync made of a selected object, so that it is archived with the selection", () => {
    const candidates = [{ kind: 'card', key: 'x' }, { kind: 'card', key: 'x~12' }, { kind: 'card', key: 'y' }];
    const { keep } = selectedAddresses(parseSelectors(['card:x'], kinds), candidates, () => []);
    expect([...keep].sort()).toEqual(['card:x', 'card:x~12']);
  });

  it('follows refs to what a selected object needs, never to what needs it', () => {
    const candidates = [{ kind: 'dashboard', key: 'd' }, { kind: 'card', key: 'c' }, { kind: 'collection', key: 'col' }, { kind: 'collection-permissions', key: 'g/col' }, { kind: 'database', key: 'db' }];
    const refs: Record<string, string[]> = { 'dashboard:d': ['dashcard:d/c', 'collection:col'], 'card:c': ['field:analytics.t.x', 'collection:col'] };
    const { keep } = selectedAddresses(parseSelectors(['card:c'], kinds), candidates, (k, key) => refs[`${k}:${key}`] ?? []);
    expect([...keep].sort()).toEqual(['card:c', 'collection-permissions:g/col', 'collection:col', 'database:db']);
  });
});
