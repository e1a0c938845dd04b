#!/usr/bin/env node
// Starts mb-sync as plain JavaScript from dist/, which `npm run build` makes (npm ci and npm install
// run it through `prepare`, so `npx mb-sync` works right after `npm ci`). When dist/ is missing or
// older than src/ — a developer editing the sources — it runs src/ through tsx instead (a dev
// dependency), so an edit is never silently ignored.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = `${root}dist/.built`;

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const fresh = existsSync(stamp) && (!existsSync(`${root}src`) || newest(`${root}src`) <= statSync(stamp).mtimeMs);
if (fresh) {
  await import('../dist/cli/main.js');
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('mb-sync: dist/ is missing or older than src/, and tsx is not installed to run the sources: run `npm run build`.\n');
    process.exit(1);
  }
  register();
  await import('../src/cli/main.ts');
}
