import { loadProject } from '../config/load-project.ts';
import { setMaxListeners } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { readEnvFile } from '../config/env-file.ts';
import { resolveTarget } from '../config/resolve-target.ts';
import type { Project } from '../core/project.ts';
import { assertSupportedVersion, createMetabaseClient, readServerInfo } from '../metabase/client.ts';
import type { MetabaseApi, ServerInfo } from '../metabase/types.ts';

export interface Target {
  project: Project;
  /** With `baselineConfigPath`. */
  baseline?: Project;
  api: MetabaseApi;
  /**
   * The server's version and settings, refused below 0.58. Being read while the caller starts its
   * own reads (one round trip less): await it before returning or throwing, so that an old server
   * is reported as such rather than by whatever its answers break. Once it is refused, the client
   * sends nothing more.
   */
  server: Promise<ServerInfo>;
  environment: string;
  url: string;
}

/**
 * Files first, network second: the project is loaded and validated before any request, so invalid
 * files never reach Metabase. Then the server version is asked for, and an unsupported one refused
 * when it answers (`server`).
 */
export async function openTarget(options: {
  configPath: string;
  env?: string;
  processEnv?: NodeJS.ProcessEnv;
  concurrency?: number;
  /** The environment of a saved plan, used when neither `env` nor MB_URL names one. */
  plannedEnv?: string;
  /** A second project to load with the same environment: the base branch's (`plan --baseline`). */
  baselineConfigPath?: string;
  /** Told which server answered, before its version is checked (`--debug` prints it, even when refused). */
  onServer?: (server: ServerInfo, target: { environment: string; url: string }) => void;
}): Promise<Target> {
  // The project's git-ignored .env.local (where `mb-sync bootstrap` writes the API key) is read
  // too; a variable set in the environment wins over the file.
  const local = await readEnvFile(join(dirname(resolve(options.configPath)), '.env.local'));
  const processEnv = { ...local, ...(options.processEnv ?? process.env) };
  const project = await loadProject({ configPath: options.configPath, env: processEnv });
  // Same variables (a worktree has no .env.local), so that its secrets give the same digests.
  const baseline = options.baselineConfigPath === undefined ? undefined : await loadProject({ configPath: options.baselineConfigPath, env: processEnv });
  const target = resolveTarget(project, { env: options.env, processEnv, ...(options.plannedEnv === undefined ? {} : { planned: options.plannedEnv }) });
  // A refused server (or none answering) is sent nothing more: the reads started meanwhile stop.
  const refused = new AbortController();
  // axios listens on it once per request in flight (--concurrency allows 64): no leak warning.
  setMaxListeners(0, refused.signal);
  const api = createMetabaseClient({ url: target.url, auth: target.auth, concurrency: options.concurrency ?? project.config.concurrency, signal: refused.signal });
  const server = readServerInfo(api).then((info) => {
    options.onServer?.(info, { environment: target.environment, url: target.url });
    assertSupportedVersion(info);
    return info;
  });
  // Raised where it is awaited (not an unhandled rejection while the caller's reads are in flight),
  // and the reason every other request then fails with.
  server.catch((error: unknown) => refused.abort(error));
  return { project, ...(baseline === undefined ? {} : { baseline }), api, server, environment: target.environment, url: target.url };
}
