// `npm run build` (run by `prepare` on npm ci / npm install): src/ → dist/cli/, bundled.
//
// One ES module per command (split at the dynamic imports, so a command loads only what it uses),
// with the libraries mb-sync uses inlined: starting a process resolves and reads a handful of files
// instead of a few hundred (about 0.1 s of every run). Embedded Postgres (@electric-sql/pglite, which
// finds its WASM next to its own files) and pg stay in node_modules. The outputs sit in dist/cli/, at
// the depth of src/cli/, so paths made from import.meta.url (package.json, the SQL check's worker,
// dist/cli/sandbox-worker.js) are the same from the bundle as from the sources.
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// Each build has an id of its own: caches of what its code computed (the files it validated) are
// kept under it, so a new build never reads what an older one's schemas produced.
const id = randomUUID();
await rm('dist', { recursive: true, force: true });

// zod's namespace export carries every message locale (`z.locales.fr()`…): 64 files, half of the
// zod code a command loads. mb-sync's messages are English, which zod registers from its own
// en.js whatever this does, so the bundle's `z.locales` holds English only (as bundlers' locale
// stripping does for moment.js).
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir) ? { path: join(args.resolveDir, '../locales/en-only.js'), namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: 'export { default as en } from "./en.js";', resolveDir: dirname(args.path), loader: 'js' }));
  },
};
await build({
  entryPoints: { main: 'src/cli/main.ts', 'sandbox-worker': 'src/postgres/sandbox-worker.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@electric-sql/pglite', 'pg'],
  define: { __MB_SYNC_BUILD__: JSON.stringify(id) },
  // The CommonJS libraries inlined (axios and what it uses) call require(): give them one.
  banner: { js: "import { createRequire as __mbSyncRequire } from 'node:module'; const require = __mbSyncRequire(import.meta.url);" },
  plugins: [englishOnlyZod],
  logLevel: 'warning',
});
await writeFile('dist/.built', `${new Date().toISOString()} ${id}\n`);
