import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/fingerprint.ts';

/** The obvious definition: JSON.stringify with every object's keys sorted. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function randomValue(seed: { n: number }, depth: number): unknown {
  const next = () => (seed.n = (seed.n * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = next();
  if (depth <= 0 || pick < 0.3) {
    const scalars = [null, true, false, 0, -1.5, 42, 'text', 'quote " and \\ and \n', 'é 😀', undefined];
    return scalars[Math.floor(next() * scalars.length)];
  }
  if (pick < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(seed, depth - 1));
  const keys = ['b', 'a', 'Z', 'lib/uuid', '10', '2', 'é', 'a-b', ''];
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [keys[Math.floor(next() * keys.length)]!, randomValue(seed, depth - 1)]));
}

describe('canonicalJson', () => {
  it('is JSON.stringify with sorted keys, for generated values', () => {
    const seed = { n: 7 };
    for (let i = 0; i < 500; i++) {
      const value = { root: randomValue(seed, 4) };
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });

  it('gives the same text whatever order the keys were set in, and honours toJSON', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(canonicalJson({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});
