import { describe, expect, it } from 'vitest';
import { lineDiff, summariseRefs } from '../../../src/cli/render/format-value.ts';

describe('lineDiff', () => {
  const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n');
  it('gives only the changed lines without context, removals before additions', () => {
    expect(lineDiff(before, before.replace('d', 'D'))).toEqual(['- d', '+ D']);
  });
  it('keeps that many unchanged lines around each change and marks the rest as left out', () => {
    expect(lineDiff(before, before.replace('d', 'D').replace('h', 'H'), 1)).toEqual(['  …', '  c', '- d', '+ D', '  e', '  …', '  g', '- h', '+ H']);
  });
  it('shows a long single line whole, as one removed and one added line', () => {
    const sql = `SELECT ${'x, '.repeat(60)}y FROM t`;
    expect(lineDiff(sql, sql.replace('FROM t', 'FROM u'))).toEqual([`- ${sql}`, `+ ${sql.replace('FROM t', 'FROM u')}`]);
  });
});

describe('known-after-apply refs in the plans', () => {
  it('names a few of a kind and counts many', () => {
    expect(summariseRefs(['card:a', 'card:b', 'collection:phoenix'])).toBe('card:a, card:b, collection:phoenix');
    expect(summariseRefs(['card:a', 'card:b', 'card:c', 'card:d', 'dashboard:x'])).toBe('4 cards, dashboard:x');
  });
});
