import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadProject } from '../../src/config/load-project.ts';
import type { Project } from '../../src/core/project.ts';
import { applyPlan } from '../../src/engine/apply-plan.ts';
import { makePlan } from '../../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../../src/metabase/client.ts';
import type { MetabaseApi, ServerInfo } from '../../src/metabase/types.ts';
import { handlers } from '../../src/resources/registry.ts';

/**
 * Against a real Metabase, only when MB_E2E_URL is set (with MB_E2E_API_KEY, an Administrators key),
 * e.g. the docker-compose stack after `npm run local`. Applies this repository's Phoenix project
 * twice: the second plan must be empty. Needs the Phoenix database reachable from that Metabase
 * (PHOENIX_DB_HOST…) and PHOENIX_ANALYTICS_RO_PASSWORD.
 */
const url = process.env.MB_E2E_URL;

describe.skipIf(!url)('live Metabase at MB_E2E_URL', () => {
  let project: Project;
  let api: MetabaseApi;
  let server: ServerInfo;
  beforeAll(async () => {
    project = await loadProject({ configPath: join(import.meta.dirname, '../../metabase.config.yaml') });
    api = createMetabaseClient({ url: url!, auth: { apiKey: process.env.MB_E2E_API_KEY ?? '' } });
    server = await readServerInfo(api);
  });

  it('applies the Phoenix project, then plans no change', async () => {
    const target = { environment: 'e2e', url: url! };
    const first = await makePlan({ project, api, server, target, handlers, allowArchive: false });
    const result = await applyPlan({ state: first, handlers, context: { api, project, server, progress: () => {} }, emit: () => {} });
    expect(result.failed).toEqual([]);
    const second = await makePlan({ project, api, server, target, handlers, allowArchive: false });
    const changed = second.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
    expect(changed.map((a) => ({ address: a.address, changes: a.changes }))).toEqual([]);
  }, 600_000);
});
