import { isAscii } from 'node:buffer';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the build, with no types
import { asciiOnly } from '../../../scripts/ascii-only.mjs';

const make = asciiOnly as (text: string) => Promise<string>;

describe('the pure-ASCII bundle (scripts/ascii-only.mjs)', () => {
  it('escapes what the libraries leave in comments, and changes nothing else', async () => {
    const text = "// a dash — and a section sign §4\nconst s = 'mb_key';\n/* é */ module.exports = s;\n";
    const escaped = await make(text);
    expect(isAscii(Buffer.from(escaped))).toBe(true);
    expect(escaped).toContain('// a dash \\u{2014} and a section sign \\u{a7}4');
    expect(escaped.replace(/\/\/.*|\/\*.*?\*\//g, '')).toBe(text.replace(/\/\/.*|\/\*.*?\*\//g, ''));
  });

  it('accepts an escape in a string, which keeps its value', async () => {
    const escaped = await make("module.exports = 'é';\n");
    expect(escaped).toBe("module.exports = '\\u{e9}';\n");
    const module = { exports: '' };
    new Function('module', escaped)(module);
    expect(module.exports).toBe('é');
  });

  it('leaves a text already in ASCII as it is', async () => {
    const text = 'module.exports = 1; // plain\n';
    expect(await make(text)).toBe(text);
  });

  it.each([
    ['a regular expression', 'module.exports = /é/.test(process.argv[2]);\n'],
    ['a tagged template', 'module.exports = String.raw`é`;\n'],
    ['a name', 'const é = 1; module.exports = é;\n'],
  ])('refuses a character beyond ASCII in %s', async (_what, text) => {
    await expect(make(text)).rejects.toThrow(/beyond ASCII outside a comment/);
  });
});
