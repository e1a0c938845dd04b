import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '../../..');
type Service = { image: string; ports?: string[]; healthcheck?: { test: unknown }; environment?: Record<string, string>; volumes?: string[] };

// No Docker engine runs on the test machines: the file's promises are checked by reading it.
describe('docker-compose.yml', async () => {
  const compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

  it('has the Phoenix database, Metabase with its own database, and a mail catcher, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['mailpit', 'metabase', 'metabase-db', 'phoenix-db']);
    for (const [name, service] of Object.entries(compose.services)) expect(service.healthcheck, name).toBeDefined();
  });

  it('pins a Metabase release mb-sync supports (0.58+)', () => {
    const tag = /^metabase\/metabase:v[01]\.(\d+)\.\d+$/.exec(compose.services.metabase!.image);
    expect(tag).not.toBeNull();
    expect(Number(tag![1])).toBeGreaterThanOrEqual(58);
  });

  it('exposes nothing beyond localhost and keeps data in named volumes', () => {
    for (const service of Object.values(compose.services)) for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    expect(Object.keys(compose.volumes).sort()).toEqual(['metabase-db-data', 'phoenix-db-data']);
    expect(compose.services['phoenix-db']!.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^\.\/sql\/app\/phoenix-app-schema\.sql:/)]));
  });

  it('commits no secret: every password comes from the environment', () => {
    for (const service of Object.values(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/(PASS|PASSWORD)$/.test(key)) expect(String(value), key).toMatch(/^\$\{[A-Z_]+(:\?[^}]*)?\}$/);
      }
    }
  });

  it('.env.example lists every variable the compose file needs', async () => {
    const example = await readFile(join(ROOT, '.env.example'), 'utf8');
    const text = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
    const required = [...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!);
    for (const name of new Set(required)) expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});
