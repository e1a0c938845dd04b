import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The JSON Schemas Metabase publishes for its request bodies, as the official CLI (`@metabase/cli`,
 * a dev dependency) validates with before it sends anything: each command's `inputSchema`
 * (`mb card create --help --json`, …) and the MBQL 5 query schema (`mb query --print-schema`).
 *
 * The CLI is AGPL: its files are never committed here. They are extracted at test time into
 * `test/.cache/metabase-cli-<version>/` (git-ignored) by running the CLI itself, once per version.
 * To follow a new Metabase release: bump @metabase/cli, run the tests (the cache is rebuilt), and
 * read the fake's refusal tests (test/integration/fake-metabase/refusals.test.ts).
 */
export const CLI_COMMANDS = [
  'card create',
  'card update',
  'dashboard create',
  'dashboard update',
  'collection create',
  'alert create',
  'alert update',
  'subscription create',
  'subscription update',
  'field update',
  'table update',
  'setup',
] as const;
export type CliCommand = (typeof CLI_COMMANDS)[number];

export interface MetabaseSchemas {
  cliVersion: string;
  /** Command → the JSON Schema (draft 2020-12) of its request body. */
  commands: Record<CliCommand, Record<string, unknown>>;
  /** `mb query --print-schema`: the query schema and the files it refers to (`id.yaml`, `ref.yaml`, …). */
  mbql: { schema: Record<string, unknown>; defs: Record<string, Record<string, unknown>> };
}

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);

function cliPaths(): { version: string; bin: string } {
  const require = createRequire(join(ROOT, 'package.json'));
  const manifest = require.resolve('@metabase/cli/package.json');
  const { version, bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; bin: { mb: string } };
  return { version, bin: join(dirname(manifest), bin.mb) };
}

function cacheDir(version: string): string {
  return join(ROOT, 'test/.cache', `metabase-cli-${version}`);
}

const fileOf = (command: string) => `${command.replace(/ /g, '-')}.json`;

async function cli(bin: string, args: string[]): Promise<unknown> {
  // The CLI must not look for a profile or reach anything: it only prints its own schemas.
  const { stdout } = await run(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', HOME: join(ROOT, 'test/.cache') }, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as unknown;
}

/** Extracts the schemas into the cache if they are not there yet (safe to call from several processes). */
export async function ensureMetabaseSchemas(): Promise<string> {
  const { version, bin } = cliPaths();
  const dir = cacheDir(version);
  if (existsSync(join(dir, 'complete'))) return dir;
  await mkdir(dir, { recursive: true });
  const write = async (name: string, value: unknown) => {
    const tmp = join(dir, `${name}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(value, null, 1));
    await rename(tmp, join(dir, name));
  };
  await Promise.all([
    ...CLI_COMMANDS.map(async (command) => {
      const help = (await cli(bin, [...command.split(' '), '--help', '--json'])) as { inputSchema?: unknown };
      if (!help.inputSchema) throw new Error(`@metabase/cli ${version}: "${command}" has no inputSchema`);
      await write(fileOf(command), help.inputSchema);
    }),
    cli(bin, ['query', '--print-schema']).then((bundle) => write('mbql5.json', bundle)),
  ]);
  await writeFile(join(dir, 'complete'), `${new Date().toISOString()}\n`);
  return dir;
}

let loaded: MetabaseSchemas | undefined;

/** The cached schemas (call ensureMetabaseSchemas first: vitest's global setup does). */
export function loadMetabaseSchemas(): MetabaseSchemas {
  if (loaded) return loaded;
  const { version } = cliPaths();
  const dir = cacheDir(version);
  if (!existsSync(join(dir, 'complete'))) throw new Error(`Metabase's request schemas are not extracted yet (${dir}): call ensureMetabaseSchemas() first`);
  const read = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
  const commands = Object.fromEntries(CLI_COMMANDS.map((c) => [c, read(fileOf(c))])) as MetabaseSchemas['commands'];
  loaded = { cliVersion: version, commands, mbql: read('mbql5.json') as MetabaseSchemas['mbql'] };
  return loaded;
}
