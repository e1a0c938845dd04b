import { describe, expect, it } from 'vitest';
import type { KindState } from '../../../src/core/assemble-plan.ts';
import { movedObjects, objectFingerprints } from '../../../src/core/object-fingerprints.ts';

const kinds = (holds = 'x'): KindState[] => [
  {
    kind: 'collection',
    desired: [{ key: 'main', body: { name: 'Main' } }],
    live: [
      { key: 'main', id: 1, managed: true, body: { name: 'Main' } },
      // No longer in the files: what it holds decides whether it may be archived.
      { key: 'old', id: 2, managed: true, contains: [{ kind: 'card', id: 8, name: holds }], body: { name: 'Old' } },
    ],
  },
  { kind: 'card', desired: [{ key: 'a', body: { name: 'A' } }, { key: 'b', body: { name: 'B' } }], live: [{ key: 'a', id: 7, managed: true, body: { name: 'A' } }] },
];

describe('objectFingerprints', () => {
  it('hashes every object on each side, by address, for a full plan', () => {
    const all = objectFingerprints(kinds());
    expect(Object.keys(all.live)).toEqual(['collection.main', 'collection.old', 'card.a']);
    expect(Object.keys(all.files)).toEqual(['collection.main', 'card.a', 'card.b']);
    const held = objectFingerprints(kinds('renamed by hand'));
    expect(held.live['collection.old']).not.toBe(all.live['collection.old']);
    expect({ ...held.live, 'collection.old': '' }).toEqual({ ...all.live, 'collection.old': '' });
  });

  it('hashes only what a partial plan covers', () => {
    const covered = new Set(['card:a', 'collection:main']);
    expect(objectFingerprints(kinds(), undefined, covered)).toEqual({
      live: { 'collection.main': objectFingerprints(kinds()).live['collection.main'], 'card.a': objectFingerprints(kinds()).live['card.a'] },
      files: { 'collection.main': objectFingerprints(kinds()).files['collection.main'], 'card.a': objectFingerprints(kinds()).files['card.a'] },
      completed: {},
    });
    expect(objectFingerprints(kinds('renamed by hand'), undefined, covered)).toEqual(objectFingerprints(kinds(), undefined, covered));
  });
  it("keeps what Metabase completed of a desired object (a group's members) apart from the files", () => {
    const written = (to: string[]) => [{ kind: 'subscription', desired: [{ key: 'd/weekly', body: { to } }], live: [] }];
    const asWritten = new Map([['subscription', [{ key: 'd/weekly', body: { to: ['group:product'] } }]]]);
    const before = objectFingerprints(written(['alice@example.com']), asWritten);
    const after = objectFingerprints(written(['alice@example.com', 'bob@example.com']), asWritten);
    expect(after.files).toEqual(before.files);
    expect(after.live).toEqual({});
    expect(Object.keys(after.completed)).toEqual(['subscription.d/weekly']);
    expect(movedObjects(before, after)).toEqual({ files: [], live: [], completed: [{ address: 'subscription.d/weekly', change: 'changed' }] });
  });
});

describe('movedObjects', () => {
  it('names what is new, changed or gone on each side, the saved order first', () => {
    const saved = { live: { 'card.a': '1', 'card.b': '2' }, files: { 'card.a': '3', 'card.c': '4' }, completed: {} };
    const fresh = { live: { 'card.a': '1', 'dashboard.d': '5' }, files: { 'card.a': '6', 'card.c': '4', 'card.e': '7' }, completed: {} };
    expect(movedObjects(saved, fresh)).toEqual({
      files: [{ address: 'card.a', change: 'changed' }, { address: 'card.e', change: 'new' }],
      live: [{ address: 'card.b', change: 'gone' }, { address: 'dashboard.d', change: 'new' }],
      completed: [],
    });
    expect(movedObjects(saved, saved)).toEqual({ files: [], live: [], completed: [] });
  });
});
