import { MbSyncError } from '../core/errors.ts';
import type { Project } from '../core/project.ts';
import { printableUrl as safeUrl, registerSecret, registerUrlSecrets } from '../core/secrets.ts';

export type Auth = { apiKey: string } | { username: string; password: string };

export interface ResolvedTarget {
  environment: string;
  url: string;
  auth: Auth;
}

/**
 * The Metabase to talk to: `--env`, else `default_environment`, else the only environment. The
 * process environment wins over the file (DESIGN §3): MB_URL, MB_API_KEY, MB_USERNAME + MB_PASSWORD,
 * except against an explicit `--env`: a different MB_URL then is refused rather than followed, so
 * `plan --env staging` can never talk to the Metabase a forgotten MB_URL points at. An environment
 * may name its own key variable (`api_key_env: MB_STAGING_API_KEY`), which then wins over MB_API_KEY.
 */
export function resolveTarget(project: Project, options: { env?: string; processEnv?: NodeJS.ProcessEnv; planned?: string }): ResolvedTarget {
  const processEnv = options.processEnv ?? process.env;
  const environments = project.config.environments;
  const names = Object.keys(environments);
  // A saved plan's environment (`planned`) stands in for the default when neither --env nor MB_URL
  // names a target: `apply plan.json` goes where the plan was made.
  const planned = processEnv.MB_URL ? undefined : options.planned;
  const name = options.env ?? planned ?? project.config.default_environment ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new MbSyncError('CONFIG_INVALID', `choose an environment with --env (${names.join(', ') || 'none declared'})`, { hint: 'or set default_environment in the config' });
  }
  const environment = environments[name];
  if (environment === undefined) {
    throw new MbSyncError('CONFIG_INVALID', `no environment "${name}" in ${project.configFile} (declared: ${names.join(', ')})`);
  }
  const configured = environment.url.replace(/\/+$/, '');
  const ambient = processEnv.MB_URL?.replace(/\/+$/, '');
  // A URL may carry credentials (`user:password@`, `?token=`): hidden in output from here on.
  for (const url of [configured, ambient]) if (url) registerUrlSecrets(url);
  if (options.env !== undefined && ambient && ambient !== configured) {
    throw new MbSyncError('CONFIG_INVALID', `--env ${name} is ${safeUrl(configured)}, but MB_URL says ${safeUrl(ambient)}: refusing to guess which Metabase you mean`, {
      hint: `unset MB_URL to use the "${name}" environment, or drop --env to follow MB_URL`,
    });
  }
  const url = ambient || configured;
  let auth: Auth | undefined;
  // An environment with its own key variable never falls back to MB_API_KEY: a local key sent to
  // staging is a mistake, not a default.
  const keyVariable = environment.api_key_env ?? 'MB_API_KEY';
  if (processEnv[keyVariable]) auth = { apiKey: processEnv[keyVariable]! };
  else if (processEnv.MB_USERNAME && processEnv.MB_PASSWORD) auth = { username: processEnv.MB_USERNAME, password: processEnv.MB_PASSWORD };
  else if (environment.auth && 'api_key' in environment.auth) auth = { apiKey: environment.auth.api_key };
  else if (environment.auth) auth = { username: environment.auth.username, password: environment.auth.password };
  if (auth === undefined) {
    throw new MbSyncError('ENV_MISSING', `no credentials for Metabase environment "${name}" (${safeUrl(url)})`, {
      hint: `set ${keyVariable} (an API key of the Administrators group), or MB_USERNAME and MB_PASSWORD`,
    });
  }
  registerSecret('apiKey' in auth ? auth.apiKey : auth.password);
  return { environment: name, url, auth };
}


export { safeUrl };
