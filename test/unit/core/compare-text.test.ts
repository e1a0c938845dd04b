import { describe, expect, it } from 'vitest';
import { compareText } from '../../../src/core/compare-text.ts';
import { expandRecipients } from '../../../src/core/recipients.ts';

describe('compareText', () => {
  it('orders by code unit, not by language rules', () => {
    // localeCompare would give a_b before a.b, and b before B: the order of an ICU collator.
    expect(['b', 'é', 'a_b', 'B', 'e', 'a.b'].sort(compareText)).toEqual(['B', 'a.b', 'a_b', 'b', 'e', 'é']);
    expect(compareText('x', 'x')).toBe(0);
  });

  it('gives recipients one order whatever order they are written in', () => {
    const config = { recipients: { product: ['b.x@phoenix.app', 'a_x@phoenix.app'] } };
    const one = expandRecipients(['group:product', 'list:product', 'a.x@phoenix.app'], config);
    const other = expandRecipients(['a.x@phoenix.app', 'list:product', 'group:product'], config);
    expect(one).toEqual(other);
    expect(one).toEqual([{ email: 'a.x@phoenix.app' }, { email: 'a_x@phoenix.app' }, { email: 'b.x@phoenix.app' }, { group: 'product' }]);
  });
});
