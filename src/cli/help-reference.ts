import type { Command } from 'commander';

/**
 * What each command's --help adds after its options: the environment variables it reads and its
 * exit codes (README "Exit codes", ExitCode in src/core/errors.ts). Keyed by command path; a command
 * without an entry makes addReferenceHelp throw, so a new command cannot ship without one.
 */
interface Reference {
  env: Array<[string, string]>;
  exit: Array<[number, string]>;
}

const YAML_VARIABLES: [string, string] = ['${VAR} in the YAML', 'any variable the project files name, e.g. MB_LOCAL_URL, the database password'];
const METABASE_ENV: Array<[string, string]> = [
  ['MB_URL', 'the Metabase to talk to; wins over the environment\'s url (refused when --env names another)'],
  ['MB_API_KEY', 'API key, for environments without api_key_env'],
  ['<api_key_env>', 'the key variable an environment names (e.g. MB_STAGING_API_KEY); wins over MB_API_KEY'],
  ['MB_USERNAME, MB_PASSWORD', 'log in with a user instead of an API key'],
  YAML_VARIABLES,
  ['.env.local', 'the project\'s git-ignored file of variables (bootstrap writes it); the environment wins'],
];
const POSTGRES_ENV: Array<[string, string]> = [
  ['DATABASE_URL', 'admin connection to the app database; wins over postgres.url'],
  ['PGPASSWORD, PGSSLMODE, …', 'read by the pg driver for what the URL leaves out'],
  YAML_VARIABLES,
];
const ROLE_PASSWORD: [string, string] = ['<readonly_password_env>', 'the read-only role\'s password (postgres.readonly_password_env; by default the variable database.password names)'];
const NO_COLOR: [string, string] = ['NO_COLOR', 'plain output, as --no-color'];
const NO_CACHE: [string, string] = ['MB_SYNC_NO_CACHE', 'set to 1: no caches (node_modules/.cache/mb-sync: parsed YAML, validated files, compiled SQL; ~/.cache/mb-sync: embedded Postgres, compiled code)'];
const CACHE_HOME: [string, string] = ['XDG_CACHE_HOME', 'where the per-machine cache goes (default ~/.cache; a relative path is ignored): mb-sync/ holds embedded Postgres\'s empty cluster and the code V8 compiled (code/)'];

const OK: [number, string] = [0, 'success'];
const ERROR: [number, string] = [1, 'error: invalid files, missing variable, HTTP failure… (one message says what and where)'];
const OLD_METABASE: [number, string] = [3, 'the Metabase server is older than 0.58'];

export const REFERENCE: Record<string, Reference> = {
  validate: { env: [['${VAR} in the YAML', 'not needed: a missing one is listed, read as a placeholder'], NO_CACHE, CACHE_HOME], exit: [[0, 'the project is valid'], [1, 'problems in the files (all listed)']] },
  plan: {
    env: [...METABASE_ENV, NO_COLOR, NO_CACHE, CACHE_HOME],
    exit: [[0, 'success; with --detailed-exitcode, no changes'], ERROR, [2, 'with --detailed-exitcode: there are changes'], OLD_METABASE],
  },
  apply: { env: [...METABASE_ENV, NO_COLOR, NO_CACHE, CACHE_HOME], exit: [OK, [1, 'error, a failed change, or confirmation refused'], OLD_METABASE, [130, 'interrupted (Ctrl-C): objects in flight finished, the rest not started']] },
  pull: { env: METABASE_ENV, exit: [OK, [1, 'error, a file that exists already (without --force), or a dashboard in a collection the config cannot declare: nothing written'], OLD_METABASE] },
  bootstrap: {
    env: [['MB_URL', 'default of --url'], ['MB_ADMIN_EMAIL, MB_ADMIN_PASSWORD', 'the admin to create, or to log in as']],
    exit: [OK, ERROR],
  },
  db: { env: [...POSTGRES_ENV, ROLE_PASSWORD], exit: [OK, ERROR] },
  'db plan': { env: [...POSTGRES_ENV, ROLE_PASSWORD], exit: [OK, ERROR] },
  'db apply': { env: [...POSTGRES_ENV, ROLE_PASSWORD], exit: [OK, ERROR] },
  'db verify': { env: [...POSTGRES_ENV, ROLE_PASSWORD], exit: [[0, 'every privilege check passed'], [1, 'error, or a check failed']] },
  'db check': { env: POSTGRES_ENV, exit: [[0, 'no check failed (warnings allowed)'], [1, 'error, or a check failed']] },
  'db purge': { env: POSTGRES_ENV, exit: [OK, ERROR] },
  completion: { env: [], exit: [OK, [1, 'unknown shell']] },
};

export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function render(reference: Reference): string {
  const envWidth = Math.max(0, ...reference.env.map(([name]) => name.length));
  const lines = ['', 'Environment variables:'];
  if (reference.env.length === 0) lines.push('  none');
  for (const [name, what] of reference.env) lines.push(`  ${name.padEnd(envWidth)}  ${what}`);
  lines.push('', 'Exit codes:');
  for (const [code, what] of reference.exit) lines.push(`  ${code}  ${what}`);
  return lines.join('\n');
}

/** Adds the reference to every subcommand's help, at any depth. */
export function addReferenceHelp(program: Command): void {
  const visit = (command: Command) => {
    for (const sub of command.commands) {
      if (sub.name() === 'help') continue;
      const path = commandPath(sub);
      const reference = REFERENCE[path];
      if (reference === undefined) throw new Error(`no help reference for \`mb-sync ${path}\` in src/cli/help-reference.ts`);
      sub.addHelpText('after', render(reference));
      visit(sub);
    }
  };
  visit(program);
}
