import { readEnvFile, writeEnvValues } from '../config/env-file.ts';
import { MbSyncError } from '../core/errors.ts';
import { registerSecret } from '../core/secrets.ts';
import { createMetabaseClient, waitForMetabase } from '../metabase/client.ts';
import { createOnce } from '../resources/create-once.ts';
import { MetabaseHttpError } from '../metabase/errors.ts';

export interface BootstrapOptions {
  url: string;
  envFile: string;
  admin: { email: string; password: string };
  siteName?: string;
  smtp?: { host: string; port: number; from: string };
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface BootstrapReport {
  setup: 'done-now' | 'already-done';
  apiKey: 'created' | 'kept';
  email: 'configured-now' | 'already-configured' | 'not-configured';
  /** The server's version tag, e.g. `v0.58.15` (`--debug` prints it). */
  metabaseVersion: string;
}

/**
 * First run of a fresh local Metabase: wait until it is up, create the admin (setup token), create an
 * API key in the Administrators group and write it to a git-ignored env file. Idempotent: a key in
 * the file that still works is kept; an instance already set up is logged into instead.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapReport> {
  registerSecret(options.admin.password);
  await waitForMetabase(options.url, { timeoutMs: options.timeoutMs ?? 300_000, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  const anonymous = createMetabaseClient({ url: options.url, auth: null });
  const properties = await anonymous.get<Record<string, unknown>>('/api/session/properties');
  const report: BootstrapReport = {
    setup: 'already-done',
    apiKey: 'kept',
    email: properties['email-configured?'] === true ? 'already-configured' : 'not-configured',
    metabaseVersion: (properties.version as { tag?: string } | undefined)?.tag ?? 'unknown',
  };

  const token = properties['setup-token'];
  if (typeof token === 'string' && properties['has-user-setup'] !== true) {
    await anonymous.post('/api/setup', {
      token,
      user: { first_name: 'Admin', last_name: 'mb-sync', email: options.admin.email, password: options.admin.password },
      prefs: { site_name: options.siteName ?? 'Phoenix (local)', allow_tracking: false },
    });
    report.setup = 'done-now';
  }

  const existing = (await readEnvFile(options.envFile)).MB_API_KEY;
  if (existing && report.setup === 'already-done' && (await keyWorks(options.url, existing))) {
    registerSecret(existing);
  } else {
    const admin = createMetabaseClient({ url: options.url, auth: { username: options.admin.email, password: options.admin.password } });
    const groups = await admin.get<Array<{ id: number; name: string; magic_group_type?: string | null }>>('/api/permissions/group');
    const administrators = groups.find((g) => g.magic_group_type === 'admin') ?? groups.find((g) => g.name === 'Administrators');
    if (!administrators) throw new MbSyncError('METABASE_HTTP', 'no Administrators group found on this Metabase');
    // A key whose answer was lost exists without its secret: found by name, it is regenerated to get one.
    const name = `mb-sync ${new Date().toISOString().slice(0, 19)}`;
    const created = await createOnce(
      () => admin.post<{ unmasked_key: string }>('/api/api-key', { name, group_id: administrators.id }),
      async () => {
        const lost = (await admin.get<Array<{ id: number; name: string }>>('/api/api-key')).find((k) => k.name === name);
        return lost === undefined ? undefined : admin.put<{ unmasked_key: string }>(`/api/api-key/${lost.id}/regenerate`);
      },
    );
    registerSecret(created.unmasked_key);
    // MB_LOCAL_URL, not MB_URL: the config's local environment reads it, and an ambient MB_URL would
    // make `--env staging` refuse to run.
    await writeEnvValues(options.envFile, { MB_LOCAL_URL: options.url, MB_API_KEY: created.unmasked_key });
    report.apiKey = 'created';
    if (options.smtp && report.email === 'not-configured') {
      await admin.put('/api/email', {
        'email-smtp-host': options.smtp.host,
        'email-smtp-port': options.smtp.port,
        'email-smtp-security': 'none',
        'email-from-address': options.smtp.from,
      });
      report.email = 'configured-now';
    }
  }
  return report;
}

async function keyWorks(url: string, key: string): Promise<boolean> {
  try {
    await createMetabaseClient({ url, auth: { apiKey: key }, retries: 1 }).get('/api/user/current');
    return true;
  } catch (error) {
    if (error instanceof MetabaseHttpError && error.status === 401) return false;
    throw error;
  }
}
