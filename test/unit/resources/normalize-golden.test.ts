import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import type { Project } from '../../../src/core/project.ts';
import { RefIndex } from '../../../src/core/refs.ts';
import { cardHandler } from '../../../src/resources/card.ts';
import { dashboardHandler } from '../../../src/resources/dashboard.ts';
import { files } from '../../integration/engine/fixture-project.ts';
import { writeProject } from '../../integration/engine/harness.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/metabase');
let project: Project;
let cleanup: () => Promise<void>;

/** The ids of the recorded payloads, as a read of that instance would register them. */
function refs(): RefIndex {
  const index = new RefIndex();
  index.set('database', 'phoenix', 3);
  index.set('collection', 'phoenix', 12);
  index.set('table', 'analytics.vw_daily_energy_ledger', 45);
  index.set('field', 'analytics.vw_daily_energy_ledger.event_date', 1201);
  index.set('field', 'analytics.vw_daily_energy_ledger.module', 1202);
  index.set('field', 'analytics.vw_daily_energy_ledger.total_spent', 1203);
  index.set('table', 'analytics.vw_pack_funnel', 46);
  index.set('field', 'analytics.vw_pack_funnel.event_date', 1301);
  index.set('card', 'spend-by-module', 101);
  index.set('card', 'funnel', 102);
  return index;
}

beforeAll(async () => {
  const p = await writeProject(files);
  cleanup = p.cleanup;
  project = await loadProject({ configPath: join(p.root, 'metabase.config.yaml'), env: { PHOENIX_RO_PASSWORD: 'x' } });
});
afterAll(async () => cleanup());

// Payloads shaped like real GET responses (lib/uuid on every clause, base/effective types on field
// refs, server-added keys; 0.63 returns template tags as a list): normalising them must give exactly
// what the YAML compiles to, or `plan` after `apply` would never be empty.
describe.each(['0.58', '0.63'])('normalisation of recorded %s payloads', (version) => {
  const recorded = async (name: string) => JSON.parse(await readFile(join(FIXTURES, version, `${name}.json`), 'utf8')) as Record<string, unknown>;
  const desired = <B>(handler: { desired(p: Project): Iterable<{ key: string; body: B }> }, key: string) => [...handler.desired(project)].find((d) => d.key === key)!.body;

  it('a query-builder card (aggregation, breakout, order by an aggregation)', async () => {
    const raw = await recorded('card-structured');
    expect(cardHandler.normalize({ key: 'spend-by-module', id: 101, raw: raw as never, managed: true, facts: { identity: 'recorded' } }, refs())).toEqual(desired(cardHandler, 'spend-by-module'));
  });

  it('a native card with a field filter', async () => {
    const raw = await recorded('card-native');
    expect(cardHandler.normalize({ key: 'funnel', id: 102, raw: raw as never, managed: true, facts: { identity: 'recorded' } }, refs())).toEqual(desired(cardHandler, 'funnel'));
  });

  it('a dashboard with filters, mappings and a heading', async () => {
    const raw = await recorded('dashboard');
    expect(dashboardHandler.normalize({ key: 'energie', id: 10, raw: raw as never, managed: true, facts: 'recorded' }, refs())).toEqual(desired(dashboardHandler, 'energie'));
  });
});
