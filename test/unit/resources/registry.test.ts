import { describe, expect, it } from 'vitest';
import { handlers, inApplyOrder } from '../../../src/resources/registry.ts';
import type { ResourceHandler } from '../../../src/resources/types.ts';

describe('the apply order', () => {
  it('puts every kind after the kinds it depends on', () => {
    const position = new Map(handlers.map((h, i) => [h.kind, i]));
    for (const h of handlers) for (const d of h.dependsOn) expect(position.get(d)!, `${h.kind} after ${d}`).toBeLessThan(position.get(h.kind)!);
    expect(handlers.map((h) => h.kind)).toEqual(['database', 'group', 'collection', 'collection-permissions', 'table-metadata', 'card', 'alert', 'dashboard', 'subscription']);
  });

  it('is derived from the dependencies, not from the position in the list', () => {
    const kinds = handlers.map((h) => h.kind);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...handlers].sort((a, b) => ((a.kind.length * 7919 + seed * a.kind.charCodeAt(0)) % 13) - ((b.kind.length * 7919 + seed * b.kind.charCodeAt(0)) % 13));
      expect(inApplyOrder(shuffled).map((h) => h.kind)).toEqual(kinds);
    }
  });

  it('refuses a cycle and a dependency on a kind that has no handler', () => {
    const stub = (kind: string, dependsOn: string[]) => ({ kind, dependsOn }) as unknown as ResourceHandler;
    expect(() => inApplyOrder([stub('a', ['b']), stub('b', ['a'])])).toThrow('resource kinds depend on each other: a, b');
    expect(() => inApplyOrder([stub('a', ['nope'])])).toThrow('a depends on nope, which has no handler');
  });
});
