import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/core/plan.ts';
import { ref } from '../../../src/core/refs.ts';
import { waves } from '../../../src/engine/apply-plan.ts';

const action = (key: string, desired: unknown): Action => ({ address: `collection.${key}`, kind: 'collection', key, op: 'create', changes: [], desired });

describe('waves', () => {
  it('runs a child after the parent it refers to, and independent objects together', () => {
    const root = action('phoenix', { name: 'Phoenix', parent: null });
    const child = action('models', { name: 'Models', parent: ref('collection', 'phoenix') });
    const grandchild = action('deep', { name: 'Deep', parent: ref('collection', 'models') });
    const other = action('other', { name: 'Other', parent: null });
    expect(waves([grandchild, child, root, other]).map((w) => w.map((a) => a.key))).toEqual([['phoenix', 'other'], ['models'], ['deep']]);
  });

  it('ignores refs to objects outside the stage', () => {
    const card = action('x', { collection: ref('collection', 'elsewhere') });
    expect(waves([card])).toEqual([[card]]);
  });
});
