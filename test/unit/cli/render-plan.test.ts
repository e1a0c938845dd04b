import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/core/plan.ts';
import { renderPlanMarkdown } from '../../../src/cli/render/plan-markdown.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';

const plan: Plan = {
  formatVersion: 1,
  project: 'phoenix',
  target: { environment: 'staging', url: 'https://mb.example.com', metabaseVersion: 'v0.58.15' },
  createdAt: '2026-11-24T00:00:00.000Z',
  liveFingerprint: 'x',
  desiredFingerprint: 'y',
  allowArchive: false,
  stages: [
    {
      kind: 'card',
      actions: [
        { address: 'card.spend', kind: 'card', key: 'spend', op: 'create', changes: [], knownAfterApply: ['field:analytics.vw_x.col'] },
        {
          address: 'card.funnel', kind: 'card', key: 'funnel', op: 'update', id: 12,
          changes: [
            { path: 'name', before: 'Old', after: 'New' },
            { path: 'sql', before: 'SELECT 1\nFROM a', after: 'SELECT 1\nFROM b' },
            { path: 'collection', before: { $ref: 'collection#3' }, after: { $ref: 'collection:phoenix' } },
          ],
        },
        { address: 'card.same', kind: 'card', key: 'same', op: 'noop', id: 13, changes: [] },
      ],
    },
  ],
  orphans: [{ address: 'card.old', kind: 'card', key: 'old', op: 'archive', id: 9, changes: [] }],
  summary: { create: 1, update: 1, archive: 0, noop: 1 },
};

describe('renderPlanText', () => {
  const text = renderPlanText(plan);
  it('shows each change with before → after, line diffs for SQL, refs by name', () => {
    expect(text).toContain('+ card.spend');
    expect(text).toContain('~ card.funnel (id 12)');
    expect(text).toContain('name: "Old" → "New"');
    expect(text).toContain('- FROM a');
    expect(text).toContain('+ FROM b');
    expect(text).toContain('collection: collection#3 → collection:phoenix');
    expect(text).toContain('(known after sync: field:analytics.vw_x.col)');
    expect(text).not.toContain('card.same');
  });
  it('lists removed objects apart and ends with the summary', () => {
    expect(text).toContain('pass --allow-archive');
    expect(text).toContain('  card.old (id 9)');
    expect(text.trim().split('\n').at(-1)).toBe('Plan: 1 to create, 1 to update, 0 to archive, 1 unchanged.');
  });
});

describe('renderPlanMarkdown', () => {
  it('renders a table per changed object', () => {
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('**1 to create, 1 to update, 0 to archive, 1 unchanged.**');
    expect(md).toContain('| `name` | `"Old"` | `"New"` |');
    expect(md).toContain('<code>card.spend</code>');
  });
});
