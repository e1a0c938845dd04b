/** Prints the URL of every dashboard of the project on the selected Metabase (used by `npm run local`). */
import { openTarget } from '../src/engine/open-target.ts';
import { readLive } from '../src/engine/read-live.ts';
import { handlers } from '../src/resources/registry.ts';

const target = await openTarget({ configPath: 'metabase.config.yaml', env: process.env.MB_SYNC_ENV ?? 'local' });
const needed = handlers.filter((h) => ['database', 'collection', 'card', 'dashboard'].includes(h.kind));
await target.server;
const { refs } = await readLive(needed, { api: target.api, project: target.project });
for (const { dashboard } of target.project.dashboards) {
  const id = refs.id('dashboard', dashboard.key);
  console.log(`${dashboard.name}: ${id === undefined ? '(not applied yet)' : `${target.url}/dashboard/${id}`}`);
}
