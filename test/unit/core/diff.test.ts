import { describe, expect, it } from 'vitest';
import { deepEqual, diffValues } from '../../../src/core/diff.ts';
import { ref } from '../../../src/core/refs.ts';

describe('diffValues', () => {
  it('reports nothing for equal objects, whatever the key order', () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
  });

  it('treats absent and null as the same', () => {
    expect(diffValues({ description: null }, {})).toEqual([]);
    expect(diffValues({}, { description: null })).toEqual([]);
    expect(deepEqual({ a: { b: null } }, { a: {} })).toBe(true);
    expect(deepEqual({ a: {} }, { a: { b: 0 } })).toBe(false);
    expect(deepEqual({ a: { b: 0 } }, { a: {} })).toBe(false);
    expect(deepEqual([1, { x: null }], [1, {}])).toBe(true);
    expect(deepEqual([1], [1, null])).toBe(false);
  });

  it("reads a body's own keys only: a key named like one of Object's is absent when the body lacks it", () => {
    expect(deepEqual({ toString: null }, {})).toBe(true);
    expect(deepEqual({}, { constructor: null })).toBe(true);
    expect(deepEqual(JSON.parse('{"__proto__": null, "x": 1}'), { x: 1 })).toBe(true);
    expect(deepEqual({ toString: 'a' }, {})).toBe(false);
    expect(diffValues({ toString: 'a' }, {})).toEqual([{ path: 'toString', before: 'a', after: undefined }]);
    expect(diffValues({ a: 1 }, { a: 1, constructor: null })).toEqual([]);
  });

  it('gives field-level paths for nested changes', () => {
    const before = { name: 'A', dashcards: [{ layout: { width: 6 } }, { layout: { width: 12 } }] };
    const after = { name: 'B', dashcards: [{ layout: { width: 6 } }, { layout: { width: 24 } }] };
    expect(diffValues(before, after)).toEqual([
      { path: 'dashcards[1].layout.width', before: 12, after: 24 },
      { path: 'name', before: 'A', after: 'B' },
    ]);
  });

  it('reports a changed array of scalars as a whole', () => {
    expect(diffValues({ tags: ['a', 'b'] }, { tags: ['a'] })).toEqual([{ path: 'tags', before: ['a', 'b'], after: ['a'] }]);
  });

  it('compares refs as values, not as objects to descend into', () => {
    const changes = diffValues({ collection: ref('collection', 'a') }, { collection: ref('collection', 'b') });
    expect(changes).toEqual([{ path: 'collection', before: { $ref: 'collection:a' }, after: { $ref: 'collection:b' } }]);
  });

  it('quotes keys that are not identifiers', () => {
    expect(diffValues({ 'graph.dimensions': ['a'] }, { 'graph.dimensions': ['b'] })[0]?.path).toBe('["graph.dimensions"]');
  });
});

describe('deepEqual', () => {
  it('distinguishes arrays of different length and types', () => {
    expect(deepEqual([1], [1, 2])).toBe(false);
    expect(deepEqual({ a: 1 }, [1])).toBe(false);
    expect(deepEqual('1', 1)).toBe(false);
  });
});
