import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderPlanMarkdown } from '../../../src/cli/render/plan-markdown.ts';
import { renderPlanText } from '../../../src/cli/render/plan-text.ts';
import { planDigest } from '../../../src/core/fingerprint.ts';
import type { Plan } from '../../../src/core/plan.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

const t = useFakeMetabase({ files, syncPolls: 2 });

/** The fixture dashboard after one pull request: a dashcard added, one resized, one SQL line changed. */
function edited(yaml: string): string {
  const out = yaml
    .replace('layout: { row: 1, col: 0, width: 12, height: 6 }', 'layout: { row: 1, col: 0, width: 12, height: 8 }')
    .replace('FROM analytics.vw_pack_funnel WHERE {{period}} GROUP BY 1', 'FROM analytics.vw_pack_funnel WHERE {{period}} GROUP BY 1 ORDER BY 3 DESC')
    .replace('subscriptions:', '  - card: zero-surge\n    layout: { row: 9, col: 0, width: 6, height: 4 }\nsubscriptions:');
  if (out === yaml) throw new Error('the fixture changed: the edits no longer apply');
  return out;
}

/** What varies from run to run (the fake's port, the clock) made fixed. */
function stable(plan: Plan): Plan {
  return { ...plan, createdAt: '2026-11-30T00:00:00.000Z', target: { ...plan.target, environment: 'staging', url: 'https://metabase.staging.example.com' } };
}

describe('the plan of a dashboard change, as people read it', () => {
  it('names the added, resized and changed things, in the terminal and in the pull-request comment', async () => {
    expect((await (await openSession(t.fake, t.root, env)).apply()).result.failed).toEqual([]);
    await writeFile(join(t.root, 'dashboards/energie.yaml'), edited(files['dashboards/energie.yaml']!));
    const { plan } = await (await openSession(t.fake, t.root, env)).plan();
    const text = renderPlanText(stable(plan));
    const markdown = renderPlanMarkdown(stable(plan));

    expect(text).toContain('+ card zero-surge at (row 9, col 0), size 6×4');
    expect(text).toContain('~ card spend-by-module: size_y 6 → 8');
    expect(text).toContain('+ FROM analytics.vw_pack_funnel WHERE {{period}} GROUP BY 1 ORDER BY 3 DESC');
    expect(markdown).not.toContain('metabase.staging.example.com');
    // Element-level changes travel in plan files: the digest still holds once written and read back.
    expect(plan.stages.flatMap((s) => s.actions).flatMap((a) => a.changes).some((c) => c.element?.op === 'add')).toBe(true);
    expect(planDigest(JSON.parse(JSON.stringify(plan)) as Record<string, unknown>)).toBe(plan.digest);
    await expect(text).toMatchFileSnapshot('./snapshots/plan-dashboard-change.txt');
    // The README shows this plan: it must stay what mb-sync prints.
    const readme = await readFile(join(import.meta.dirname, '../../../README.md'), 'utf8');
    const example = /changing one line of SQL reads:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toMatch(/card spend-by-module: size_y 6 → 8/);
    expect(text).toContain(example);
    await expect(markdown).toMatchFileSnapshot('./snapshots/plan-dashboard-change.md');
  });
});
