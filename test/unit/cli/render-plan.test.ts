import { describe, expect, it } from 'vitest';
import { assemblePlan } from '../../../src/core/assemble-plan.ts';
import { summarize, type Plan } from '../../../src/core/plan.ts';
import { ref, RefIndex } from '../../../src/core/refs.ts';
import { renderPlanMarkdown } from '../../../src/cli/render/plan-markdown.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';

const plan: Plan = {
  formatVersion: 2,
  project: 'phoenix',
  target: { environment: 'staging', url: 'https://mb.example.com', metabaseVersion: 'v0.58.15' },
  createdAt: '2026-11-24T00:00:00.000Z',
  fingerprints: { live: { 'card.funnel': 'x' }, files: { 'card.funnel': 'y' }, completed: {} },
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
  const md = renderPlanMarkdown(plan);
  it('summarises creates in a table, and gives each update its fields before → after', () => {
    expect(md).toContain('**1 to create, 1 to update, 0 to archive, 1 unchanged.**');
    expect(md).toContain('| card | `spend` |  |  |');
    expect(md).toContain('<code>card.funnel</code>');
    expect(md).toContain('| `name` | `"Old"` | `"New"` |');
    expect(md).toContain('```diff\n  SELECT 1\n- FROM a\n+ FROM b\n```');
  });
  it('never prints the target URL, and lists orphans by key and name', () => {
    const named = renderPlanMarkdown({ ...plan, orphans: [{ ...plan.orphans[0]!, name: 'Old | card' }] });
    expect(named).not.toContain('mb.example.com');
    expect(named).toContain('→ staging');
    expect(named).toContain('| card | `old` | Old \\| card |');
  });
  it('stays under the size cap and ends by saying where the full plan is', () => {
    const sql = Array.from({ length: 400 }, (_, i) => `SELECT ${i} AS n -- a line long enough to add up quickly`).join('\n');
    const actions = Array.from({ length: 20 }, (_, i) => ({
      address: `card.c${i}`, kind: 'card', key: `c${i}`, op: 'update' as const, id: i,
      changes: [{ path: 'dataset_query.stages[0].native', before: sql, after: sql.replace(/SELECT/g, 'select') }],
    }));
    const big = renderPlanMarkdown({ ...plan, stages: [{ kind: 'card', actions }] }, { maxChars: 60_000 });
    expect(big.length).toBeLessThanOrEqual(60_000);
    expect(big).toContain('🟡 <code>card.c19</code>: 1 changes (details cut)');
    const tiny = renderPlanMarkdown({ ...plan, stages: [{ kind: 'card', actions }] }, { maxChars: 1_500, fullPlan: 'plan-full.md' });
    expect(tiny.length).toBeLessThanOrEqual(1_500);
    expect(tiny.trim().split('\n').at(-1)).toMatch(/of 21 objects, \d+ shown without details, \d+ left out\. The full plan: plan-full\.md\.$/);
    expect(big.trim().split('\n').at(-1)).toMatch(/^> ✂️ \*\*Cut to fit a pull-request comment\*\* \(60,000 characters\): of 21 objects, \d+ shown without details\. The full plan: the `mb-sync-plan` artifact/);
  });
});

describe('keyed changes, rendered', () => {
  const dashcard = (card: string, row: number, size_x = 6, size_y = 4) => ({ card: ref('card', card), tab: 0, row, col: 0, size_x, size_y, visualization_settings: {}, parameter_mappings: [] });
  const live = { name: 'Energie', collection: ref('collection', 'phoenix'), tabs: [{ name: 'Spend' }, { name: 'Funnel' }], dashcards: [dashcard('a', 0), dashcard('b', 4), dashcard('z', 8)] };
  const desired = { name: 'Energie', collection: ref('collection', 'phoenix'), tabs: [{ name: 'Funnel' }, { name: 'Spend' }], dashcards: [dashcard('a', 0, 8, 6), dashcard('b', 4)] };
  const { stages } = assemblePlan([
    { kind: 'card', desired: [{ key: 'new', body: { name: 'New card', collection: ref('collection', 'phoenix') } }], live: [] },
    { kind: 'dashboard', desired: [{ key: 'energie', body: desired }], live: [{ key: 'energie', id: 5, managed: true, body: live }] },
  ], { allowArchive: false, refs: new RefIndex() });
  const keyed: Plan = { ...plan, stages, orphans: [], summary: summarize(stages) };

  it('in the terminal: one line per element, its changed fields after it', () => {
    expect(renderPlanText(keyed)).toContain([
      '~ dashboard.energie (id 5)  update',
      '    dashcards:',
      '      ~ card a:',
      '          size_x 6 → 8',
      '          size_y 4 → 6',
      '      - card z',
      '    tabs(order): ["Spend","Funnel"] → ["Funnel","Spend"]',
    ].join('\n'));
  });

  it('in markdown: creates with where they go, elements as a list', () => {
    const md = renderPlanMarkdown(keyed);
    expect(md).toContain('| card | `new` | New card | `collection:phoenix` |');
    expect(md).toContain('- 🟡 `card a`: `size_x` `6` → `8`, `size_y` `4` → `6`\n- 🔴 removed `card z`');
    expect(md).toContain('| `tabs(order)` | `["Spend","Funnel"]` | `["Funnel","Spend"]` |');
  });
});

describe('a filter mapped on a dashcard that had none', () => {
  it('reads as an added mapping, not as null → an object', () => {
    const mapping = { parameter_id: 'period', card: ref('card', 'a'), target: ['dimension', ['template-tag', 'period']] };
    const before = { dashcards: [{ card: ref('card', 'a'), row: 0, col: 0, size_x: 6, size_y: 4, parameter_mappings: [] as unknown[] }] };
    const after = { dashcards: [{ ...before.dashcards[0]!, parameter_mappings: [mapping] }] };
    const { stages } = assemblePlan([{ kind: 'dashboard', desired: [{ key: 'd', body: after }], live: [{ key: 'd', id: 1, managed: true, body: before }] }], { allowArchive: false, refs: new RefIndex() });
    expect(renderPlanText({ ...plan, stages, orphans: [], summary: summarize(stages) })).toContain('      ~ card a: parameter_mappings[period] added: {"parameter_id":"period","card":"card:a","target":["dimension",["template-tag","period"]]}');
  });
});

describe('a new database password', () => {
  it('reads as a changed password, without the digest that noticed it', () => {
    const change = { path: 'details["mb-sync-secret-digest"]', before: 'a'.repeat(64), after: 'b'.repeat(64) };
    const stages = [{ kind: 'database', actions: [{ address: 'database.phoenix', kind: 'database', key: 'phoenix', op: 'update' as const, id: 2, changes: [change] }] }];
    const rotated = { ...plan, stages, orphans: [], summary: summarize(stages) };
    expect(renderPlanText(rotated)).toContain('details.password: "(hidden)" → "(changed)"');
    expect(renderPlanMarkdown(rotated)).toContain('| `details.password` | `"(hidden)"` | `"(changed)"` |');
    expect(renderPlanText(rotated) + renderPlanMarkdown(rotated)).not.toContain('aaaa');
  });
});
