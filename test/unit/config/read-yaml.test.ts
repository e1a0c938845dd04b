import * as yaml from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/config/read-yaml.ts';
import { formatPath } from '../../../src/core/value-path.ts';

describe('the line of every path of a YAML file', () => {
  const text = `key: d1
cards:
  - key: a
    layout: { row: 0, col: 6 }
    query:
      aggregate:
        - count
        - sum(cost)
  - key: b
    2024: numeric key
empty: []
`;
  const { yaml: file } = parseYaml(yaml, text, 'd1.yaml');

  it("gives a mapping entry its key's line and a sequence item its own, with the paths formatPath writes", () => {
    expect(file!.lines).toEqual({
      '': 1, key: 1, cards: 2,
      'cards[0]': 3, 'cards[0].key': 3, 'cards[0].layout': 4, 'cards[0].layout.row': 4, 'cards[0].layout.col': 4,
      'cards[0].query': 5, 'cards[0].query.aggregate': 6, 'cards[0].query.aggregate[0]': 7, 'cards[0].query.aggregate[1]': 8,
      'cards[1]': 9, 'cards[1].key': 9, 'cards[1].2024': 10, empty: 11,
    });
    for (const path of Object.keys(file!.lines)) {
      const parts = path === '' ? [] : path.split(/\.|(?=\[)/).map((p) => (/^\[\d+\]$/.test(p) ? Number(p.slice(1, -1)) : p));
      expect(formatPath(parts)).toBe(path);
    }
  });

  it("answers a path missing from the file with its nearest ancestor's line", () => {
    expect(file!.lineOf(['cards', 1, 'query', 'filter'])).toBe(9);
    expect(file!.lineOf(['nowhere'])).toBe(1);
  });
});
