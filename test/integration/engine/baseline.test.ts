import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { renderPlanMarkdown } from '../../../src/cli/render/plan-markdown.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../../../src/metabase/client.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const t = useFakeMetabase();

async function project(overrides: Record<string, string> = {}) {
  return t.project({ ...files, ...overrides });
}

describe('plan --baseline: a pull request\'s own changes apart from drift made in Metabase', () => {
  it('marks each change as the files\', drift, or both, and the comment shows them apart', async () => {
    const main = await project();
    await (await openSession(t.fake, main, env)).apply();
    // In Metabase, someone renames one card (drift); the pull request renames another, and a third both ways.
    const byName = (name: string) => [...t.fake.state.cards.values()].find((c) => c.name === name)!;
    byName('Dépenses par module').name = 'Renamed in the UI';
    byName('Surge at zero').description = 'Edited in the UI';
    const branch = await project({
      'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('name: Entonnoir pack', 'name: Entonnoir des packs'),
      'metabase.config.yaml': files['metabase.config.yaml']!.replace('name: Surge at zero', 'name: Surge at zero energy'),
    });
    const api = createMetabaseClient({ url: t.fake.url, auth: { apiKey: t.fake.apiKey }, retryBaseMs: 1 });
    const server = await readServerInfo(api);
    const load = (root: string) => loadProject({ configPath: join(root, 'metabase.config.yaml'), env });
    const { plan } = await makePlan({ project: await load(branch), baseline: await load(main), api, server, target: { environment: 'staging', url: t.fake.url }, handlers, allowArchive: false });
    const causes = Object.fromEntries(plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => [a.address, a.cause]));
    expect(causes).toEqual({ 'card.funnel': 'change', 'card.spend-by-module': 'drift', 'card.zero-surge': 'both' });

    const markdown = renderPlanMarkdown(plan);
    const own = markdown.indexOf('#### Changes in this pull request');
    const drift = markdown.indexOf('#### Drift: changed in Metabase, not in git');
    expect(own).toBeGreaterThan(0);
    expect(drift).toBeGreaterThan(own);
    expect(markdown.slice(own, drift)).toContain('card.funnel');
    expect(markdown.slice(own, drift)).toContain('card.zero-surge');
    expect(markdown.slice(drift)).toContain('card.spend-by-module');
    expect(markdown.slice(drift)).not.toContain('card.funnel');
    // The one changed both ways says so (merging overwrites an edit made in Metabase); the others do not.
    const block = (address: string) => { const from = markdown.slice(markdown.indexOf(`<code>${address}</code>`)); return from.slice(0, from.indexOf('</details>')); };
    expect(block('card.zero-surge')).toContain('Also changed in Metabase since the base branch');
    expect(block('card.funnel')).not.toContain('Also changed in Metabase');
    expect(renderPlanText(plan)).toContain('~ card.spend-by-module (id');
    expect(renderPlanText(plan)).toMatch(/card\.spend-by-module \(id \d+\) {2}update {2}\(drift: changed in Metabase, not in the files\)/);
  });

  it('on the command line: the base branch is read with the same environment, and the comment splits', async () => {
    const main = await project();
    await (await openSession(t.fake, main, env)).apply();
    [...t.fake.state.cards.values()].find((c) => c.name === 'Dépenses par module')!.name = 'Renamed in the UI';
    const branch = await project({ 'dashboards/energie.yaml': files['dashboards/energie.yaml']!.replace('name: Entonnoir pack', 'name: Entonnoir des packs') });
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'plan', '--format', 'markdown', '--baseline', join(main, 'metabase.config.yaml')], {
      cwd: branch,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey, ...env },
    });
    const drift = stdout.indexOf('#### Drift');
    expect(stdout.indexOf('#### Changes in this pull request')).toBeGreaterThan(0);
    expect(stdout.slice(0, drift)).toContain('card.funnel');
    expect(stdout.slice(drift)).toContain('card.spend-by-module');
  });

  it('without a baseline, nothing is marked and the comment is one list', async () => {
    const main = await project();
    await (await openSession(t.fake, main, env)).apply();
    [...t.fake.state.cards.values()][0]!.name = 'Renamed in the UI';
    const { plan } = await (await openSession(t.fake, main, env)).plan();
    expect(plan.stages.flatMap((s) => s.actions).every((a) => a.cause === undefined)).toBe(true);
    expect(renderPlanMarkdown(plan)).not.toContain('#### Drift');
  });
});
