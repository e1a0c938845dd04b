import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTarget } from '../../../src/engine/open-target.ts';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { writeProject } from './harness.ts';
import { catalog, env, files } from './fixture-project.ts';

// Never hit the wrong Metabase: an explicit --env is not silently overridden, and each environment
// can hold its own key.
let local: FakeMetabase;
let staging: FakeMetabase;
let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  [local, staging] = await Promise.all([startFakeMetabase({ catalog }), startFakeMetabase({ catalog })]);
  const project = await writeProject({
    ...files,
    'metabase.config.yaml': files['metabase.config.yaml']!.replace('project: phoenix', 'project: phoenix\ndefault_environment: local').replace('  test: { url: http://127.0.0.1:1 }', `  test: { url: http://127.0.0.1:1 }\n  local: { url: ${local.url} }\n  staging: { url: ${staging.url}, api_key_env: MB_STAGING_API_KEY }`),
  });
  root = project.root;
  cleanup = project.cleanup;
});
afterEach(async () => {
  await Promise.all([local.close(), staging.close()]);
  await cleanup();
});
const open = (processEnv: NodeJS.ProcessEnv, envName?: string) => openTarget({ configPath: join(root, 'metabase.config.yaml'), ...(envName ? { env: envName } : {}), processEnv: { ...env, ...processEnv } });

describe('choosing the Metabase', () => {
  it('refuses an explicit --env that an ambient MB_URL contradicts, naming both without credentials', async () => {
    const refused = open({ MB_URL: `http://admin:hunter2@${new URL(local.url).host}`, MB_STAGING_API_KEY: staging.apiKey }, 'staging');
    await expect(refused).rejects.toThrow(`--env staging is ${staging.url}, but MB_URL says ${local.url}`);
    await expect(open({ MB_URL: local.url, MB_STAGING_API_KEY: staging.apiKey }, 'staging')).rejects.not.toThrow(/hunter2/);
  });

  it('a saved plan goes to the environment it was made for, unless --env or MB_URL (from .env.local too) name another', async () => {
    const planned = (processEnv: NodeJS.ProcessEnv, envName?: string) =>
      openTarget({ configPath: join(root, 'metabase.config.yaml'), plannedEnv: 'staging', ...(envName ? { env: envName } : {}), processEnv: { ...env, ...processEnv } });
    expect((await planned({ MB_STAGING_API_KEY: staging.apiKey })).environment).toBe('staging');
    expect((await planned({ MB_API_KEY: local.apiKey }, 'local')).environment).toBe('local');
    await writeFile(join(root, '.env.local'), `MB_URL=${local.url}\nMB_API_KEY=${local.apiKey}\n`);
    expect((await planned({})).url).toBe(local.url);
  });

  it('follows MB_URL when no --env is given, and an --env that agrees with it', async () => {
    expect((await open({ MB_URL: local.url, MB_API_KEY: local.apiKey })).url).toBe(local.url);
    expect((await open({ MB_URL: `${staging.url}/`, MB_STAGING_API_KEY: staging.apiKey }, 'staging')).url).toBe(staging.url);
  });

  it('takes each environment\'s key from its own variable, never from another environment\'s', async () => {
    const both = { MB_API_KEY: local.apiKey, MB_STAGING_API_KEY: staging.apiKey };
    expect((await open(both, 'local')).environment).toBe('local');
    const onStaging = await open(both, 'staging');
    await onStaging.api.get('/api/user/current');
    await expect(open({ MB_API_KEY: local.apiKey }, 'staging')).rejects.toThrow(/no credentials for Metabase environment "staging"/);
  });

  it('reads the project\'s .env.local (where bootstrap writes the key), the environment winning over the file', async () => {
    await writeFile(join(root, '.env.local'), `MB_API_KEY=${local.apiKey}\nMB_STAGING_API_KEY=wrong-key\n`);
    const target = await open({ MB_STAGING_API_KEY: staging.apiKey }, 'staging');
    await target.api.get('/api/user/current');
    const fromFile = await open({}, 'local');
    await fromFile.api.get('/api/user/current');
  });
});
