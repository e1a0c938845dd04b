import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Job = { if?: string; concurrency?: { group: string; 'cancel-in-progress': boolean }; steps: Array<{ run?: string; uses?: string }>; environment?: string };

describe('the staging workflow', async () => {
  const workflow = parse(await readFile(join(import.meta.dirname, '../../../.github/workflows/metabase.yml'), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, Job> };
  const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? s.uses ?? '').join('\n');

  it('plans pull requests against staging and posts the plan as markdown', () => {
    expect(workflow.jobs.plan!.if).toContain('pull_request');
    expect(runs('plan')).toContain('mb-sync validate');
    expect(runs('plan')).toContain('mb-sync plan --env staging --format markdown');
    expect(runs('plan')).toContain('actions/github-script');
    // The comment is cut under GitHub's limit and points to the whole plan in this artifact.
    expect(runs('plan')).toContain('--full-markdown plan-full.md');
    expect(runs('plan')).toContain('actions/upload-artifact');
  });

  it('deploys main with db apply then apply --yes, never two at once', () => {
    expect(runs('deploy')).toMatch(/mb-sync db apply[\s\S]*mb-sync apply --env staging --yes/);
    expect(workflow.jobs.deploy!.concurrency).toEqual({ group: 'metabase-staging-deploy', 'cancel-in-progress': false });
  });

  it('checks drift on a schedule with the detailed exit code', () => {
    expect(workflow.on.schedule).toBeDefined();
    expect(workflow.jobs.drift!.if).toContain('schedule');
    expect(runs('drift')).toContain('--detailed-exitcode');
  });
});

describe('the live workflow', async () => {
  const live = parse(await readFile(join(import.meta.dirname, '../../../.github/workflows/live.yml'), 'utf8')) as { jobs: Record<string, Job & { strategy: { matrix: { metabase: string[] } } }> };
  const job = live.jobs.live!;
  const runs = job.steps.map((s) => s.run ?? s.uses ?? '').join('\n');

  it('runs the live suite against the oldest supported Metabase and a newer 0.6x, after db apply and bootstrap', () => {
    const majors = job.strategy.matrix.metabase.map((tag) => Number(/^v0\.(\d+)\./.exec(tag)?.[1]));
    expect(Math.min(...majors)).toBe(58);
    expect(Math.max(...majors)).toBeGreaterThanOrEqual(63);
    expect(runs).toMatch(/mb-sync db apply[\s\S]*mb-sync bootstrap[\s\S]*npm run test:live/);
  });
});
