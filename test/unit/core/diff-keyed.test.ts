import { describe, expect, it } from 'vitest';
import { diffValues } from '../../../src/core/diff.ts';
import { ref } from '../../../src/core/refs.ts';

const dashcard = (card: string, row: number, col: number, size_x = 6) => ({ card: ref('card', card), tab: null, row, col, size_x, size_y: 4, visualization_settings: {}, parameter_mappings: [] });
const heading = (text: string, row: number) => ({ card: null, tab: null, row, col: 0, size_x: 24, size_y: 1, visualization_settings: { virtual_card: { display: 'heading' }, text }, parameter_mappings: [] });

describe('diffValues on keyed arrays', () => {
  it('reports an added dashcard as one added element, not every later index', () => {
    const before = { dashcards: [dashcard('a', 0, 0), dashcard('c', 4, 0)] };
    const after = { dashcards: [dashcard('a', 0, 0), dashcard('b', 2, 0), dashcard('c', 4, 0)] };
    expect(diffValues(before, after)).toEqual([
      { path: 'dashcards[card:b]', before: null, after: dashcard('b', 2, 0), element: { array: 'dashcards', key: 'card:b', op: 'add' } },
    ]);
  });

  it('reports a removed element with its whole body, and a change by field', () => {
    const before = { dashcards: [dashcard('a', 0, 0), dashcard('z', 4, 0)] };
    const after = { dashcards: [dashcard('a', 0, 0, 8)] };
    expect(diffValues(before, after)).toEqual([
      { path: 'dashcards[card:a].size_x', before: 6, after: 8, element: { array: 'dashcards', key: 'card:a', op: 'change', field: 'size_x' } },
      { path: 'dashcards[card:z]', before: dashcard('z', 4, 0), after: null, element: { array: 'dashcards', key: 'card:z', op: 'remove' } },
    ]);
  });

  it('numbers a card placed twice, and knows text and heading cards by what they say', () => {
    const before = { dashcards: [heading('Spend', 0), dashcard('a', 1, 0), dashcard('a', 1, 6)] };
    const after = { dashcards: [heading('Spend', 0), dashcard('a', 1, 0), dashcard('a', 1, 6, 12)] };
    expect(diffValues(before, after).map((c) => c.path)).toEqual(['dashcards[card:a#2].size_x']);
    const renamed = { dashcards: [heading('Costs', 0), dashcard('a', 1, 0), dashcard('a', 1, 6)] };
    expect(diffValues(before, renamed).map((c) => `${c.element?.op} ${c.path}`)).toEqual(['add dashcards[heading:Costs]', 'remove dashcards[heading:Spend]']);
  });

  it('keys nested arrays too, and groups their changes under the outer element', () => {
    const mapped = (target: string) => ({ ...dashcard('a', 0, 0), parameter_mappings: [{ parameter_id: 'period', card: ref('card', 'a'), target: ['dimension', target] }] });
    const [change] = diffValues({ dashcards: [mapped('x')] }, { dashcards: [mapped('y')] });
    expect(change).toMatchObject({ path: 'dashcards[card:a].parameter_mappings[period].target', before: ['dimension', 'x'], after: ['dimension', 'y'] });
    expect(change?.element).toEqual({ array: 'dashcards', key: 'card:a', op: 'change', field: 'parameter_mappings[period].target' });
  });

  it('reports a new order of tabs and filters, not of dashcards (their order follows from the layout)', () => {
    expect(diffValues({ tabs: [{ name: 'A' }, { name: 'B' }] }, { tabs: [{ name: 'B' }, { name: 'A' }] })).toEqual([
      { path: 'tabs(order)', before: ['A', 'B'], after: ['B', 'A'] },
    ]);
    const a = dashcard('a', 0, 0);
    const b = dashcard('b', 0, 0);
    expect(diffValues({ dashcards: [a, b] }, { dashcards: [b, a] })).toEqual([]);
  });

  it('quotes keys that would not read as one path segment', () => {
    expect(diffValues({ tabs: [{ name: 'Old one' }] }, { tabs: [{ name: 'New one' }] }).map((c) => c.path)).toEqual(['tabs["New one"]', 'tabs["Old one"]']);
  });

  it('diffs recipients as a set, e-mail addresses and groups alike', () => {
    const before = { recipients: [{ email: 'a@x.org' }, { group: ref('group', 'ops') }] };
    const after = { recipients: [{ email: 'b@x.org' }, { group: ref('group', 'ops') }] };
    expect(diffValues(before, after).map((c) => `${c.element?.op} ${c.element?.key}`)).toEqual(['add b@x.org', 'remove a@x.org']);
    expect(diffValues({ recipients: ['a@x.org'] }, { recipients: ['a@x.org', 'c@x.org'] })).toEqual([
      { path: 'recipients[c@x.org]', before: null, after: 'c@x.org', element: { array: 'recipients', key: 'c@x.org', op: 'add' } },
    ]);
  });

  it('falls back to indexes when two elements share a key or one has none', () => {
    const twice = [{ name: 'A', x: 1 }, { name: 'A', x: 2 }];
    expect(diffValues({ tabs: twice }, { tabs: [twice[0], { name: 'A', x: 3 }] })).toEqual([{ path: 'tabs[1].x', before: 2, after: 3 }]);
    expect(diffValues({ parameters: [{ slug: 'p' }] }, { parameters: [{ slug: 'q' }] })).toEqual([{ path: 'parameters[0].slug', before: 'p', after: 'q' }]);
    // Of different lengths and without keys: the whole array, as before.
    expect(diffValues({ tabs: twice }, { tabs: [twice[0]] })).toEqual([{ path: 'tabs', before: twice, after: [twice[0]] }]);
  });
});
