import { describe, expect, it } from 'vitest';
import { readCollectionMarker, withCollectionMarker } from '../../../src/core/collection-marker.ts';

const marker = { project: 'phoenix', key: 'phoenix-alerts' };

describe('the collection marker (last line of the description)', () => {
  it('is added under what people wrote, and alone when they wrote nothing', () => {
    expect(withCollectionMarker('Questions des alertes.', marker)).toBe('Questions des alertes.\n\nManaged by mb-sync (phoenix/phoenix-alerts): edit it in git.');
    expect(withCollectionMarker(null, marker)).toBe('Managed by mb-sync (phoenix/phoenix-alerts): edit it in git.');
  });

  it('is never written twice, even when the files already carry it', () => {
    const once = withCollectionMarker('Texte.', marker);
    expect(withCollectionMarker(once, marker)).toBe(once);
  });

  it('is read back with its project and key, through the whitespace an editor may leave', () => {
    expect(readCollectionMarker(`${withCollectionMarker('Texte.', marker)}\n  \n`)).toEqual(marker);
    expect(readCollectionMarker('Managed by mb-sync (shop/shared): edit it in git.')).toEqual({ project: 'shop', key: 'shared' });
  });

  it('is not found where it is not the last line, or not there at all', () => {
    expect(readCollectionMarker('Managed by mb-sync (phoenix/x): edit it in git.\n\nA person wrote more below.')).toBeUndefined();
    expect(readCollectionMarker('Dashboards managed by mb-sync, ask the data team.')).toBeUndefined();
    expect(readCollectionMarker(null)).toBeUndefined();
  });
});
