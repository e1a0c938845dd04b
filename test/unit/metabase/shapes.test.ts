import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeProblem, Shapes } from '../../../src/metabase/shapes.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/metabase');
const fixture = async (version: string, name: string) => JSON.parse(await readFile(join(FIXTURES, version, `${name}.json`), 'utf8')) as Record<string, unknown>;
const problem = (shape: keyof typeof Shapes, value: unknown) => {
  const found = Shapes[shape](value);
  return found === undefined ? undefined : describeProblem(found);
};

describe('response shapes', () => {
  // The payloads written from Metabase's sources for each version (test/fixtures/metabase/README.md).
  it.each(['0.58', '0.63'])('accept the cards and dashboard Metabase %s answers', async (version) => {
    const cards = [await fixture(version, 'card-native'), await fixture(version, 'card-structured')];
    expect(problem('cards', cards)).toBeUndefined();
    for (const card of cards) expect(problem('card', card)).toBeUndefined();
    expect(problem('dashboard', await fixture(version, 'dashboard'))).toBeUndefined();
  });

  it('name the first field that is missing or of another type, with its path', () => {
    expect(problem('cards', [{ id: 1, entity_id: 'a', name: 'x', dataset_query: {} }, { id: 2, name: 'y' }])).toBe('[1].entity_id: expected a string, got undefined');
    expect(problem('dashboard', { id: 1, name: 'd', dashcards: [{ id: 1, row: 0, col: '0' }] })).toBe('dashcards[0].col: expected a number, got string');
    expect(problem('items', { data: [{ id: 1.5, model: 'dashboard' }] })).toBe('data[0].id: expected an integer, got number');
    expect(problem('graph', { revision: 3, groups: { 1: { 2: 7 } } })).toBe('groups.1.2: expected a string, got number');
    expect(problem('collections', [{ id: true, name: 'c' }])).toBe('[0].id: expected an integer or a string, got boolean');
    // A card without its query would read as one whose query was emptied: refused, as zod's z.unknown() refused it.
    expect(problem('cards', [{ id: 1, entity_id: 'a', name: 'x' }])).toBe('[0].dataset_query: expected a value, got undefined');
    expect(problem('cards', [{ id: 1, entity_id: 'a', name: 'x', dataset_query: null }])).toBeUndefined();
  });

  it('refuse what a proxy or another service answers instead', () => {
    expect(problem('cards', { data: [] })).toBe('the body: expected a list, got object');
    expect(problem('dashboard', [])).toBe('the body: expected an object, got a list');
    expect(problem('database', null)).toBe('the body: expected an object, got null');
    expect(problem('pulses', 'Not found.')).toBe('the body: expected a list, got string');
  });

  it('take null and absent only where Metabase sends them', () => {
    expect(problem('properties', {})).toBeUndefined();
    expect(problem('properties', { version: null })).toBeUndefined();
    expect(problem('database', { id: 1, name: 'db', details: null })).toBeUndefined();
    expect(problem('database', { id: 1, name: 'db', details: [] })).toBe('details: expected an object, got a list');
    expect(problem('metadata', { tables: [{ id: 1, name: 't', schema: null, fields: [] }] })).toBeUndefined();
    expect(problem('metadata', { tables: [{ id: 1, name: 't', fields: [] }] })).toBe('tables[0].schema: expected a string, got undefined');
    expect(problem('pulses', [{ id: 1, dashboard_id: null, channels: [{}] }])).toBeUndefined();
  });
});
