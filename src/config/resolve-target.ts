import { MbSyncError } from '../core/errors.ts';
import type { Project } from '../core/project.ts';
import { registerSecret } from '../core/secrets.ts';

export type Auth = { apiKey: string } | { username: string; password: string };

export interface ResolvedTarget {
  environment: string;
  url: string;
  auth: Auth;
}

/**
 * The Metabase to talk to: `--env`, else `default_environment`, else the only environment. The
 * environment wins over the file (DESIGN §3): MB_URL, MB_API_KEY, MB_USERNAME + MB_PASSWORD.
 */
export function resolveTarget(project: Project, options: { env?: string; processEnv?: NodeJS.ProcessEnv }): ResolvedTarget {
  const processEnv = options.processEnv ?? process.env;
  const environments = project.config.environments;
  const names = Object.keys(environments);
  const name = options.env ?? project.config.default_environment ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new MbSyncError('CONFIG_INVALID', `choose an environment with --env (${names.join(', ') || 'none declared'})`, { hint: 'or set default_environment in the config' });
  }
  const environment = environments[name];
  if (environment === undefined) {
    throw new MbSyncError('CONFIG_INVALID', `no environment "${name}" in ${project.configFile} (declared: ${names.join(', ')})`);
  }
  const url = (processEnv.MB_URL || environment.url).replace(/\/+$/, '');
  let auth: Auth | undefined;
  if (processEnv.MB_API_KEY) auth = { apiKey: processEnv.MB_API_KEY };
  else if (processEnv.MB_USERNAME && processEnv.MB_PASSWORD) auth = { username: processEnv.MB_USERNAME, password: processEnv.MB_PASSWORD };
  else if (environment.auth && 'api_key' in environment.auth) auth = { apiKey: environment.auth.api_key };
  else if (environment.auth) auth = { username: environment.auth.username, password: environment.auth.password };
  if (auth === undefined) {
    throw new MbSyncError('ENV_MISSING', `no credentials for Metabase environment "${name}" (${url})`, {
      hint: 'set MB_API_KEY (an API key of the Administrators group), or MB_USERNAME and MB_PASSWORD',
    });
  }
  registerSecret('apiKey' in auth ? auth.apiKey : auth.password);
  return { environment: name, url, auth };
}
