// `npm run build` (run by `prepare` on npm ci / npm install): src/ → dist/cli/, bundled.
//
// One CommonJS file, dist/cli/mb-sync.cjs, with the libraries mb-sync uses inlined: starting a
// process reads one file instead of a few hundred. CommonJS because V8 can keep its compiled code
// for a classic script between runs (bin/mb-sync.js does, per command: a tenth of a second of every
// start); Node 20 has no such cache for ES modules. Embedded Postgres (@electric-sql/pglite, which
// finds its WASM next to its own files) and pg stay in node_modules and are required when used.
// The SQL check's worker thread is an ES module of its own (dist/cli/sandbox-worker.js). Both sit
// in dist/cli/, at the depth of src/cli/, so paths made from import.meta.url (package.json, the
// worker) are the same from the bundle as from the sources.
import { build } from 'esbuild';
import { asciiOnly } from './ascii-only.mjs';
import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
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
// axios looks at the fetch API and FormData as it loads (its fetch adapter even builds a Request),
// and in Node either makes Node load its whole fetch implementation (undici): 20-30 ms of every
// plan and apply. mb-sync's client uses the http adapter (`adapter: 'http'`) and never sends a
// FormData, so the bundle has no fetch adapter and axios tells a FormData by its tag alone (its own
// fallback). A newer axios that no longer has these lines stops the build, to be looked at again.
const axiosHttpOnly = {
  name: 'axios-http-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]fetch\.js$/ }, () => ({ contents: 'export const getFetch = () => false;\nexport default false;\n', loader: 'js' }));
    b.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]utils\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;";
      if (!text.includes(eager)) throw new Error(`${args.path} changed: review the axios-http-only plugin of scripts/build.mjs`);
      return { contents: text.replace(eager, 'const FormDataCtor = undefined;'), loader: 'js' };
    });
    // Its http adapter also loads Node's http2 module and https-proxy-agent (with agent-base and
    // debug) as it loads, for HTTP/2, which mb-sync never asks for, and HTTPS through a proxy. Each
    // is loaded where it is first used instead: ~8 ms of every plan and apply.
    // A newer axios that imports them otherwise (`node:http2`) stops the build, to be looked at again.
    const deferred = new Set();
    b.onStart(() => deferred.clear());
    b.onResolve({ filter: /^(node:)?(http2|https-proxy-agent)$/ }, (args) => {
      if (!/[\\/]axios[\\/]lib[\\/]/.test(args.importer)) return undefined;
      const name = args.path.replace(/^node:/, '');
      deferred.add(name);
      return { path: name, namespace: 'mb-sync-lazy', pluginData: args.resolveDir };
    });
    b.onEnd((result) => {
      if (result.errors.length > 0 || !b.initialOptions.entryPoints?.['mb-sync']) return;
      const missed = ['http2', 'https-proxy-agent'].filter((name) => !deferred.has(name));
      if (missed.length > 0) throw new Error(`axios no longer imports ${missed.join(' and ')} as the axios-http-only plugin of scripts/build.mjs expects: review it`);
    });
    b.onLoad({ filter: /.*/, namespace: 'mb-sync-lazy' }, (args) => ({
      contents: args.path === 'http2'
        ? "let http2;\nmodule.exports = new Proxy({}, { get: (_, key) => (key === '__esModule' ? undefined : (http2 ??= require('node:http2'))[key]) });\n"
        // axios calls `new HttpsProxyAgent(options)` and asks `agent instanceof HttpsProxyAgent`.
        : "let Agent;\nconst load = () => (Agent ??= require('https-proxy-agent'));\nmodule.exports = class LazyHttpsProxyAgent {\n  constructor(options) { return new (load())(options); }\n  static [Symbol.hasInstance](value) { return typeof value === 'object' && value !== null && value instanceof load(); }\n};\n",
      resolveDir: args.pluginData,
      loader: 'js',
    }));
    // mb-sync sends JSON only: the form-data package (with mime-types and mime-db's 2,500-type table,
    // a fifth of the bundle) is replaced by a class that says so if it is ever constructed.
    b.onResolve({ filter: /^form-data$/ }, () => ({ path: 'form-data', namespace: 'mb-sync-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'mb-sync-stub' }, () => ({
      contents: "module.exports = class FormData { constructor() { throw new Error('mb-sync sends no multipart body: form-data is left out of its bundle'); } };",
      loader: 'js',
    }));
  },
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['@electric-sql/pglite', 'pg'],
  define: { __MB_SYNC_BUILD__: JSON.stringify(id) },
  plugins: [englishOnlyZod, axiosHttpOnly],
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: { 'mb-sync': 'src/cli/main.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // import.meta.url is the bundle's own file URL (scripts/import-meta-url.js).
  inject: ['scripts/import-meta-url.js'],
  define: { ...common.define, 'import.meta.url': '__mbSyncImportMetaUrl' },
});
// Pure ASCII: bin/mb-sync.js reads it as latin1 (scripts/ascii-only.mjs).
await writeFile('dist/cli/mb-sync.cjs', await asciiOnly(await readFile('dist/cli/mb-sync.cjs', 'utf8')));
await build({
  ...common,
  entryPoints: { 'sandbox-worker': 'src/postgres/sandbox-worker.ts' },
  outdir: 'dist/cli',
  format: 'esm',
  // The CommonJS libraries inlined call require(): give them one.
  banner: { js: "import { createRequire as __mbSyncRequire } from 'node:module'; const require = __mbSyncRequire(import.meta.url);" },
});
await writeFile('dist/.built', `${new Date().toISOString()} ${id}\n`);

