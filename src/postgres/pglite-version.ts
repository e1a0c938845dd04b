import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let known: string | undefined;

/**
 * The installed PGlite's version, without loading PGlite (the main thread names caches with it):
 * its package.json is not among its exports, so it is found from its entry.
 */
export function pgliteVersion(): string {
  if (known !== undefined) return known;
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return (known = pkg.version);
    } catch {
      // Not here: one level up.
    }
    if (dirname(dir) === dir) return (known = 'unknown');
    dir = dirname(dir);
  }
}
