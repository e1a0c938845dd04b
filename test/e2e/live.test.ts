import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/load-project.ts';
import { readMarker } from '../../src/core/card-marker.ts';
import type { Project } from '../../src/core/project.ts';
import { applyPlan } from '../../src/engine/apply-plan.ts';
import { makePlan } from '../../src/engine/make-plan.ts';
import { pull } from '../../src/engine/pull.ts';
import { createMetabaseClient, readServerInfo } from '../../src/metabase/client.ts';
import type { MetabaseApi, ServerInfo } from '../../src/metabase/types.ts';
import { handlers } from '../../src/resources/registry.ts';

/**
 * Against a real Metabase, only when MB_E2E_URL is set (with MB_E2E_API_KEY, an Administrators key):
 * the docker-compose stack (`npm run local`, then `npm run test:live`), or the `live` GitHub Actions
 * job (.github/workflows/live.yml), which runs it on 0.58 and the newest 0.6x. `mb-sync db apply` has
 * run before (the role and views exist); the Metabase reaches the Phoenix database at PHOENIX_DB_HOST
 * and PHOENIX_ANALYTICS_RO_PASSWORD is set.
 */
const url = process.env.MB_E2E_URL;

describe.skipIf(!url)('live Metabase at MB_E2E_URL', () => {
  let project: Project;
  let api: MetabaseApi;
  let server: ServerInfo;
  const target = { environment: 'e2e', url: url ?? '' };
  const plan = () => makePlan({ project, api, server, target, handlers, allowArchive: false });
  const pending = async () => (await plan()).plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => ({ address: a.address, changes: a.changes }));
  const apply = async () => applyPlan({ state: await plan(), handlers, context: { api, project, server, progress: () => {} }, emit: () => {} });
  let outDir: string;

  beforeAll(async () => {
    project = await loadProject({ configPath: join(import.meta.dirname, '../../metabase.config.yaml') });
    api = createMetabaseClient({ url: url!, auth: { apiKey: process.env.MB_E2E_API_KEY ?? '' } });
    server = await readServerInfo(api);
    outDir = await mkdtemp(join(tmpdir(), 'mb-sync-live-'));
  });
  afterAll(async () => rm(outDir, { recursive: true, force: true }));

  it('applies the Phoenix project (every request accepted), then plans no change and a second apply writes nothing', async () => {
    const result = await apply();
    expect(result.failed).toEqual([]);
    expect(await pending()).toEqual([]);
    const before = api.stats.byMethod;
    const writes = () => (before.POST ?? 0) + (before.PUT ?? 0) + (before.DELETE ?? 0);
    const count = writes();
    const again = await apply();
    expect(again.applied).toEqual([]);
    expect(writes()).toBe(count);
  }, 600_000);

  it('records the entity_id the server chose on each managed card, so nothing is created twice', async () => {
    const cards = await api.get<Array<{ entity_id: string; visualization_settings: unknown; archived: boolean }>>('/api/card', { params: { f: 'all' } });
    const ours = cards.filter((c) => readMarker(c.visualization_settings)?.project === project.config.project);
    expect(ours.length).toBe(project.cards.size);
    for (const card of ours) expect(readMarker(card.visualization_settings)?.entity_id).toBe(card.entity_id);
  });

  it('shows a change made through the API in the plan, and the next apply undoes it', async () => {
    const [key] = [...project.cards.keys()];
    const id = (await plan()).refs.id('card', key!);
    await api.put(`/api/card/${id}`, { name: 'Changed by hand' });
    expect((await pending()).map((a) => a.address)).toEqual([`card.${key}`]);
    expect((await apply()).failed).toEqual([]);
    expect(await pending()).toEqual([]);
  }, 300_000);

  it('pulls every Phoenix dashboard back as YAML', async () => {
    const state = await plan();
    const ids = project.dashboards.map((d) => String(state.refs.id('dashboard', d.dashboard.key)));
    const result = await pull({ api, project, server: Promise.resolve(server), url: url!, environment: 'e2e' }, { dashboards: ids, outDir });
    expect(result.files).toHaveLength(project.dashboards.length);
  }, 300_000);

  it('runs every native card through Metabase, as the read-only role it connects with', async () => {
    const state = await plan();
    const native = [...project.cards.values()].filter((c) => c.card.sql !== undefined);
    for (const { card } of native) {
      const result = await api.post<{ status: string; error?: string }>(`/api/card/${state.refs.id('card', card.key)}/query`, {});
      expect({ card: card.key, status: result.status, error: result.error }).toEqual({ card: card.key, status: 'completed', error: undefined });
    }
  }, 600_000);
});
