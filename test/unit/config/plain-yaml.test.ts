import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as yaml from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/config/read-yaml.ts';
import { readPlainYaml } from '../../../src/config/plain-yaml.ts';

// The fast reader (src/config/plain-yaml.ts) must answer exactly what the yaml library answers
// (values and the line of every path), or nothing: each text here goes through both.
const ROOT = join(import.meta.dirname, '../../..');

/** undefined when the fast reader declined the text, else whether it agreed with the library. */
function compare(text: string): 'declined' | 'same' {
  const plain = readPlainYaml(text);
  if (plain === undefined) return 'declined';
  const library = parseYaml(yaml, text, 'file.yaml');
  expect(library.issues, `the library refuses what the fast reader read:\n${text}`).toEqual([]);
  expect(plain.data, text).toStrictEqual(library.yaml!.data);
  expect(plain.lines, text).toStrictEqual(library.yaml!.lines);
  return 'same';
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.git'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(path)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

describe('the fast YAML reader', () => {
  it("reads every YAML file of the repository as the library does, and reads all of Phoenix's dashboards itself", async () => {
    const files = await yamlFiles(ROOT);
    expect(files.length).toBeGreaterThan(10);
    const declined: string[] = [];
    for (const file of files) {
      if (compare(await readFile(file, 'utf8')) === 'declined') declined.push(relative(ROOT, file));
    }
    // What makes it worth having: the project's own files are within what it reads.
    expect(declined.filter((f) => f.startsWith('dashboards/') || f === 'metabase.config.yaml')).toEqual([]);
  });

  it('reads files with CRLF line endings (a Windows checkout) as the library does, and leaves a lone CR to it', async () => {
    for (const file of await yamlFiles(ROOT)) {
      const text = await readFile(file, 'utf8');
      const crlf = text.replace(/\n/g, '\r\n');
      expect(compare(crlf), file).toBe(compare(text));
    }
    expect(readPlainYaml('a: 1\rb: 2\n')).toBeUndefined();
    expect(readPlainYaml('a: 1\r')).toBeUndefined();
    expect(readPlainYaml('a: |\r\n  x\r\n  y\r\nb: 2\r\n')?.data).toEqual({ a: 'x\ny\n', b: 2 });
  });

  it('reads what the library writes, for values of every kind and each writing option', () => {
    const random = seeded(7);
    let read = 0;
    for (let n = 0; n < Number(process.env.PLAIN_YAML_DOCS ?? 1500); n++) {
      const value = { root: randomValue(random, 0) , [`k${n}`]: randomValue(random, 1) };
      const options = [{}, { lineWidth: 24 }, { indentSeq: false }, { indent: 4, lineWidth: 40 }, { blockQuote: 'literal' as const }, { defaultStringType: 'QUOTE_SINGLE' as const }, { defaultStringType: 'QUOTE_DOUBLE' as const, lineWidth: 0 }][n % 7]!;
      if (compare(yaml.stringify(value, options)) === 'same') read++;
    }
    // Most of them are within what it reads (the rest are declined, never misread).
    expect(read).toBeGreaterThan(700);
  });

  it("reads the repository's files with small edits (characters and lines changed, removed, moved) as the library does, or declines them", async () => {
    const texts = await Promise.all((await yamlFiles(join(ROOT, 'dashboards'))).map((file) => readFile(file, 'utf8')));
    const random = seeded(11);
    let read = 0;
    const pieces = ['\u00a0', '\u3000', ' # c\n  x', ' ', '  ', '-', '- ', ':', ': ', '#', ' #', "'", '"', '|', '|-', '>', '{', '}', '[', ']', ',', '\n', '\n  ', '&a ', '*a', '!t ', '? ', '0x1', '1e2', 'true', '~', 'é', '\t', '\r', '\r\n'];
    for (let n = 0; n < Number(process.env.PLAIN_YAML_DOCS ?? 1500); n++) {
      let text = texts[n % texts.length]!;
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * text.length);
        const kind = random();
        if (kind < 0.4) text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)]! + text.slice(at);
        else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else {
          const lines = text.split('\n');
          const i = Math.floor(random() * lines.length);
          const j = Math.floor(random() * lines.length);
          lines.splice(j, 0, ...lines.splice(i, 1));
          text = lines.join('\n');
        }
      }
      if (compare(text) === 'same') read++;
    }
    // Many edits leave valid YAML the fast reader reads: those are where a misreading would show.
    expect(read).toBeGreaterThan(300);
  });

  it('reads comments, quotes, folded plain lines, literal blocks and the core schema as the library does', () => {
    const read = [
      'a: 1 # one\n# alone\nb:   two   # two\n',
      "a: 'it''s'\nb: \"say \\\"hi\\\"\\n\\u00e9\" # c\nc: ''\n",
      'sql: SELECT a\n  FROM b\n\n  WHERE c\nnext: x\n',
      'text: |\n  line one\n\n    indented\n  last\nafter: 1\n',
      'text: |-\n  no final break\nz: 2\n',
      'end: |\n  no newline at the end of the file',
      'end: |-\n  none either',
      'list:\n- a\n- b\nkey: c\n',
      'list:\n  -\n    a: 1\n    b: 2\n  - c: 3\n',
      'n: [a, 1, true, ~]\ne: []\nm: {}\n',
      'v: [Null, null, NULL, ~, True, FALSE, 0, -5, +7, 1.5, .5, 1., 007, -x, 1e3, -2.5E-2, 0o9, 0xZ, 1 week]\nw: a:b\nx: x#y\n',
      'layout: { row: 0, col: 6, name: Période, t: date/all-options }\nf:\n  - { key: period, default: ~ }\n',
      "q: { source: a.b, aggregate: [sum(x), 'c, d'], n: { name: Cohorte d'inscription } } # c\nr: [[a], {}, []]\n",
      'a:\nb: ~\n',
      'url: http://example.com/a#b\n',
    ];
    for (const text of read) expect(compare(text), text).toBe('same');
  });

  it('neither misreads nor fails on what a review found (comments before folded lines, tabs, non-YAML blanks, long keys, depth)', () => {
    const cases = [
      'a: foo # note\n  bar\n', '- foo # note\n  bar\n', 'a: foo\n  bar\t# note\n', 'a: foo\n  bar:\tbaz\n', 'a:\tb: 1\n',
      'a: x\u00a0\n', 'a\u3000: 1\n', 'a: [x\ufeff]\n', '- \u00a0x\n', "a: 'x'\u00a0# c\n", 'a: [x]\u00a0#c\n', 'a: \u2003x \u00a0\n',
      `${'k'.repeat(1024)}: 1\n`, `${'k'.repeat(1025)}: 1\n`, `- ${'k'.repeat(1025)}: 1\n`,
      `a: ${'['.repeat(900)}${']'.repeat(900)}\n`, `a: ${'['.repeat(6000)}${']'.repeat(6000)}\n`,
      Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n') + ' 1\n',
      '- \t\n  a: 1\n', 'x[0]: a\nx:\n-\n  b: 1\n',
      '- z\n \t\n', '- z\n   \t\n    \n', 'x: y\n\t\n    v \n\n', '- v\t\n    -\n\t\n  more text\n\n',
    ];
    for (const text of cases) compare(text);
    // The first of them, as the library refuses it: a syntax error, not a value.
    expect(compare('a: foo # note\n  bar\n')).toBe('declined');
  });

  it("declines what it does not read, and every error, leaving them to the library's reading and wording", () => {
    const declined = [
      'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: {b: 1, b: 2}\n', 'a: {b}\n', 'a: [b,\n  c]\n', 'a: {b: [c}]\n', 'a: >\n  folded\n', 'a: |+\n  kept\n\n', 'a: |2\n   x\n',
      '---\na: 1\n', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1\n', '\ta: 1\n', 'a:\n\tb: 1\n', 'a: 1\rb: 2\n',
      'a: 1\na: 2\n', '1: a\n', 'true: a\n', '__proto__: a\n', '<<: a\n', '? a\n: b\n', "'a': 1\n",
      'a: 0x1F\n', 'a: 0o17\n', 'a: .inf\n', 'a: .nan\n', 'a: -.inf\n',
      'a: b: c\n', 'a: b\n c: d\n', 'a: "open\n  quote"\n', "a: 'x'y\n", 'a: [b: c]\n',
      '- - a\n', 'k: -\n', 'a:\n  - b\n  c: d\n', 'a: x\n  # comment\n  y\n', 'a:\n  -\n', 'a: |\n\n  x\n',
      'a: b\n  #c\n', 'a: [b\n', 'a: "b\\x41"\n', '', '# only a comment\n', 'a: 1\n b: 2\n',
    ];
    for (const text of declined) expect(compare(text), JSON.stringify(text)).toBe('declined');
  });
});

function seeded(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

const WORDS = ['a', 'module', 'sum(total_spent)', 'event_date:week', 'Période', 'it\'s', 'say "hi"', '# not a comment', 'a # b', 'x: y', '-5', '- item', 'true', 'null', '~', '1.5', '007', '0x1F', '1e3', '.inf', '', ' lead', 'trail ', '{{period}}', '[x]', '{y}', '@at', '`tick`', '%p', '!bang', '&amp', '*star', '|pipe', '>gt', '?q', ':c', ',comma', 'tab\there', 'line\nbreak', 'two\n\nbreaks', 'end\n', 'SELECT a, b FROM analytics.vw_daily_energy_ledger WHERE {{period}} GROUP BY 1 ORDER BY 2 DESC LIMIT 10', 'é'];

function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth > 3 || pick < 0.45) {
    const kind = random();
    if (kind < 0.6) return Array.from({ length: 1 + Math.floor(random() * 3) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(random() < 0.5 ? ' ' : '');
    if (kind < 0.75) return Math.floor((random() - 0.5) * 1e6) / (random() < 0.5 ? 1 : 100);
    if (kind < 0.85) return random() < 0.5;
    return null;
  }
  if (pick < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  const map: Record<string, unknown> = {};
  for (let i = Math.floor(random() * 4); i > 0; i--) map[['key', 'name', 'sql', 'layout', 'row col', 'd0-c1', 'x.y', 'é'][Math.floor(random() * 8)]!] = randomValue(random, depth + 1);
  return map;
}
