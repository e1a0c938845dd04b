import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { openCacheFile } from './cache-file.ts';

/**
 * Parsed YAML by the text it came from (`node_modules/.cache/mb-sync/yaml.json`, see cache-file.ts).
 * An entry is the value and the line of every path, keyed by a hash of the text, under the yaml
 * library's version and mb-sync's build. Files that fail to parse are never cached: their errors
 * are always computed afresh. Values are the text's, before interpolation:
 * never a secret.
 */
export interface ParseCache {
  get(digest: string): CachedParse | undefined;
  set(digest: string, entry: CachedParse): void;
  /** A text now kept by the validated-files cache, which reads it again itself when asked (knownPlainYamlFile). */
  delete(digest: string): void;
  save(): Promise<void>;
}

export interface CachedParse {
  data: unknown;
  lines: Record<string, number>;
  /** Read by mb-sync's own reader (read-yaml.ts knownPlainYamlFile). */
  plain?: true;
}

/** The key a text is cached under (a sha256 of it), here and in the validated-files cache. */
export function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Bumped when the shape of an entry or the meaning of `lines` changes. */
const FORMAT = 4;

export async function openParseCache(root: string, env: NodeJS.ProcessEnv = process.env, code = 'sources'): Promise<ParseCache | undefined> {
  // Under the build too (`code`): most files are read by mb-sync's own reader (plain-yaml.ts), whose
  // fixes the library's version does not tell.
  const file = await openCacheFile<CachedParse>(root, 'yaml', `${FORMAT}/${parserVersion()}/${code}`, env);
  if (file === undefined) return undefined;
  const handedOut = new WeakSet<CachedParse>();
  return {
    get(digest) {
      const entry = file.get(digest);
      if (entry === undefined) return undefined;
      // Each entry is handed out once as it is; two files with the same text get copies.
      if (handedOut.has(entry)) return structuredClone(entry);
      handedOut.add(entry);
      return entry;
    },
    set: (digest, entry) => file.set(digest, entry),
    delete: (digest) => file.delete(digest),
    save: () => file.save(),
  };
}

let yamlVersion: string | undefined;
function parserVersion(): string {
  yamlVersion ??= (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version;
  return `yaml@${yamlVersion}`;
}
