import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, EnvMissingError, type ConfigIssue, type MissingVariable } from '../core/errors.ts';
import type { Origin, Project, ProjectCard, ProjectDashboard } from '../core/project.ts';
import { registerSecret } from '../core/secrets.ts';
import { CardFile, Dashboard } from '../model/dashboard.ts';
import { ProjectConfig } from '../model/project.ts';
import { interpolate } from './interpolate.ts';
import { knownPlainYamlFile, parseYamlText, readYamlText, type YamlFile } from './read-yaml.ts';
import { formatPath } from '../core/value-path.ts';
import { checkProject } from './check-project.ts';
import { openParseCache, textDigest, type ParseCache } from './parse-cache.ts';
import { openCacheFile } from './cache-file.ts';

/** Set by scripts/build.mjs to the build's id; undefined when running from the sources. */
declare const __MB_SYNC_BUILD__: string | undefined;
const BUILD_ID = typeof __MB_SYNC_BUILD__ === 'string' ? __MB_SYNC_BUILD__ : undefined;

/**
 * Reads metabase.config.yaml, dashboards/*.yaml and models/*.yaml, interpolates `${VAR}`, validates
 * every file and the references between them, and reports every problem at once (file, line, path).
 */
export async function loadProject(options: {
  configPath: string;
  env?: NodeJS.ProcessEnv;
  /** `validate`: unset variables read as placeholders and are passed to onMissingEnv instead of failing. */
  allowMissingEnv?: boolean;
  onMissingEnv?: (missing: MissingVariable[]) => void;
  /**
   * What identifies the code that reads and validates the files: a file validated before, unchanged
   * and with no variable in it, is taken from the cache as it came out, and a parse is cached under
   * it. The build's id by default (scripts/build.mjs); running from the sources there is none, and
   * every file is validated.
   */
  schemaVersion?: string;
}): Promise<Project> {
  const env = options.env ?? process.env;
  const configAbsolute = resolve(options.configPath);
  const root = dirname(configAbsolute);
  const display = (absolute: string) => relative(process.cwd(), absolute) || absolute;
  const issues: ConfigIssue[] = [];
  const schemaVersion = options.schemaVersion ?? BUILD_ID;
  // Files validated before are taken from `validated` without being parsed: the parse cache is
  // read only when a file is not there (most runs of a team whose files did not change never read it).
  const validated = schemaVersion === undefined ? undefined : await openCacheFile<unknown>(root, 'validated', schemaVersion, env);
  let parseCache: Promise<ParseCache | undefined> | undefined;
  const missing: MissingVariable[] = [];

  const parse = async <S extends z.ZodType>(absolute: string, schema: S, name: string): Promise<{ value?: z.infer<S>; yaml?: YamlFile }> => {
    const shown = display(absolute);
    const read = await readYamlText(absolute, shown);
    if ('issues' in read) {
      issues.push(...read.issues);
      return {};
    }
    // The schemas' output for a text with no variable depends on that text alone: such a text is
    // kept by its hash when mb-sync's own reader read it, so that its lines can be read again at
    // once if an error needs one (knownPlainYamlFile).
    const digest = validated === undefined ? undefined : textDigest(read.text);
    const key = digest === undefined ? undefined : `${name}:${digest}`;
    const known = key === undefined ? undefined : validated?.get(key);
    if (known !== undefined) return { value: known as z.infer<S>, yaml: knownPlainYamlFile(shown, read.text) };
    const cache = await (parseCache ??= openParseCache(root, env, schemaVersion));
    const parsed = await parseYamlText(read.text, shown, cache, cache === undefined ? undefined : (digest ?? textDigest(read.text)));
    issues.push(...parsed.issues);
    if (!parsed.yaml) return {};
    const { yaml } = parsed;
    const interpolated = interpolate(yaml.data, env, options.allowMissingEnv ? 'unset' : '');
    for (const secret of interpolated.secrets) registerSecret(secret);
    // Collected apart from the file problems: an unset secret is not a mistake in the files. Offline
    // validation needs no secrets: there a missing variable reads as a placeholder and is only listed.
    for (const miss of interpolated.missing) {
      const line = yaml.lineOf(miss.path);
      const usedAt = `${yaml.file}${line === undefined ? '' : `:${line}`} ${formatPath(miss.path)}`;
      const listed = missing.find((m) => m.variable === miss.variable);
      if (listed) listed.usedAt.push(usedAt);
      else missing.push({ variable: miss.variable, usedAt: [usedAt] });
    }
    const result = schema.safeParse(interpolated.value);
    if (result.success && key !== undefined && interpolated.untouched && yaml.plain) {
      validated?.set(key, result.data);
      // Its parse will not be read again: the parse cache keeps only what runs read from it
      // (files with variables, or beyond mb-sync's own reader), so it stays small to load.
      cache?.delete(digest!);
    }
    if (!result.success) {
      const missingPaths = new Set(interpolated.missing.map((m) => formatPath(m.path)));
      for (const issue of result.error.issues.flatMap((i) => explainUnion(i))) {
        // A missing variable was reported already; its empty value failing the schema is noise.
        if (missingPaths.has(formatPath(issue.path))) continue;
        issues.push({ file: yaml.file, line: yaml.lineOf(issue.path), path: formatPath(issue.path), message: issue.message });
      }
      return { yaml };
    }
    return { value: result.data as z.infer<S>, yaml };
  };

  const config = await parse(configAbsolute, ProjectConfig, 'config');
  const dashboardFiles = await listYaml(join(root, 'dashboards'));
  const modelFiles = await listYaml(join(root, 'models'));
  const dashboards = await Promise.all(dashboardFiles.map(async (f) => ({ file: f, ...(await parse(f, Dashboard, 'dashboard')) })));
  const models = await Promise.all(modelFiles.map(async (f) => ({ file: f, ...(await parse(f, CardFile, 'model')) })));
  // The validated files first: the parse cache drops what that one holds.
  await validated?.save();
  await (await parseCache)?.save();

  if (!config.value) {
    // The schema refused only the empty values of unset variables: an environment error.
    if (issues.length === 0 && missing.length > 0) throw new EnvMissingError(missing);
    throw fileOrEnvError(issues.length > 0 ? issues : [{ file: display(configAbsolute), path: '', message: 'invalid' }], missing, options.allowMissingEnv);
  }
  const cfg = config.value;
  registerSecret(cfg.database.password);
  const defaultCollection = cfg.collections[0]?.key ?? '';

  const cards = new Map<string, ProjectCard>();
  const projectDashboards: ProjectDashboard[] = [];
  const addCard = (entry: ProjectCard, yaml: YamlFile | undefined, path: Array<string | number>) => {
    if (yaml) lazily(entry.origin, 'lines', () => linesUnder(yaml, path));
    const existing = cards.get(entry.card.key);
    if (existing) {
      issues.push({ file: entry.origin.file, line: yaml?.lineOf([...path, 'key']), path: formatPath([...path, 'key']), message: `card key "${entry.card.key}" is already used in ${existing.origin.file} (${existing.origin.path})` });
      return;
    }
    cards.set(entry.card.key, entry);
  };

  cfg.cards.forEach((card, i) => addCard({ card, collection: card.collection ?? defaultCollection, origin: lazily({ file: config.yaml!.file, path: `cards[${i}]` }, 'line', () => config.yaml!.lineOf(['cards', i])) }, config.yaml, ['cards', i]));
  for (const model of models) {
    if (!model.value) continue;
    addCard({ card: model.value, collection: model.value.collection ?? defaultCollection, origin: { file: model.yaml!.file, path: '', line: 1 } }, model.yaml, []);
  }
  for (const entry of dashboards) {
    if (!entry.value) continue;
    const dashboard = entry.value;
    projectDashboards.push({ dashboard, origin: lazily({ file: entry.yaml!.file, path: '', line: 1 }, 'lines', () => linesUnder(entry.yaml!, [])) });
    dashboard.cards.forEach((placed, i) => {
      if ('key' in placed) {
        const { layout: _l, tab: _t, filters: _f, settings: _s, ...card } = placed;
        addCard({ card: card as ProjectCard['card'], collection: placed.collection ?? dashboard.collection, origin: lazily({ file: entry.yaml!.file, path: `cards[${i}]` }, 'line', () => entry.yaml!.lineOf(['cards', i])) }, entry.yaml, ['cards', i]);
      }
    });
  }

  const project: Project = { root, config: cfg, configFile: relative(root, configAbsolute), cards, dashboards: projectDashboards, configLines: linesUnder(config.yaml!, []) };
  issues.push(...checkProject(project, (file, path) => [...dashboards, config, ...models].find((d) => d.yaml?.file === file)?.yaml?.lineOf(path)));
  if (issues.length > 0 || (missing.length > 0 && !options.allowMissingEnv)) throw fileOrEnvError(issues, missing, options.allowMissingEnv);
  if (missing.length > 0) options.onMissingEnv?.(missing);
  return project;
}

/**
 * Problems in the files come first (they are what must be fixed), naming the unset variables in the
 * hint; unset variables alone are an environment error, all of them listed at once.
 */
function fileOrEnvError(issues: ConfigIssue[], missing: MissingVariable[], allowMissingEnv = false): Error {
  if (issues.length === 0) return new EnvMissingError(missing);
  const unset = allowMissingEnv || missing.length === 0 ? '' : ` Not set in the environment either: ${missing.map((m) => m.variable).join(', ')}.`;
  return new ConfigError(issues, { hint: `Fix the files above; nothing was sent to Metabase.${unset}` });
}

/**
 * `origin.line` or `origin.lines`, worked out the first time something asks (an error to locate),
 * not on every run: a file validated before is not even parsed otherwise (knownPlainYamlFile).
 */
function lazily<K extends 'line' | 'lines'>(origin: Origin, key: K, compute: () => Origin[K]): Origin {
  let known: { value: Origin[K] } | undefined;
  Object.defineProperty(origin, key, { enumerable: true, configurable: true, get: () => (known ??= { value: compute() }).value });
  return origin;
}

/** The line of every path under `base`, relative to it (`query.order_by[0]`), for server errors. */
function linesUnder(yaml: YamlFile, base: Array<string | number>): Record<string, number> {
  const prefix = formatPath(base);
  if (prefix === '') return { ...yaml.lines };
  const out: Record<string, number> = {};
  for (const [path, line] of Object.entries(yaml.lines)) {
    if (path.startsWith(`${prefix}.`)) out[path.slice(prefix.length + 1)] = line;
    else if (path.startsWith(`${prefix}[`)) out[path.slice(prefix.length)] = line;
  }
  return out;
}

type ZodIssueLike = { path: PropertyKey[]; message: string; code?: string; errors?: ZodIssueLike[][] };

/**
 * "Invalid input" on a union says nothing: report the issues of the closest alternative instead
 * (the one with the fewest problems), e.g. the bad `display` of an inline card.
 */
function explainUnion(issue: ZodIssueLike): Array<{ path: PropertyKey[]; message: string }> {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return [issue];
  // A union given a message of its own (zod's is "Invalid input") says what it wants better than any branch.
  if (issue.message !== 'Invalid input') return [issue];
  const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  if (closest.length === 0) return [issue];
  return closest.flatMap((inner) => explainUnion({ ...inner, path: [...issue.path, ...inner.path] }));
}

async function listYaml(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    // `.YAML` too: a file named so on a case-insensitive system must not be skipped without a word.
    return names.filter((n) => /\.ya?ml$/i.test(n)).sort().map((n) => join(dir, n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
