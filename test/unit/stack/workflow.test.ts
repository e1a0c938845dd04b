import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Job = { if?: string; concurrency?: { group: string; 'cancel-in-progress': boolean }; steps: Array<{ run?: string; uses?: string; if?: string; with?: Record<string, unknown> }>; environment?: string; permissions?: Record<string, string> };

describe('the staging workflow', async () => {
  const workflow = parse(await readFile(join(import.meta.dirname, '../../../.github/workflows/metabase.yml'), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, Job> };
  const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? s.uses ?? '').join('\n');

  it('keeps embedded Postgres\'s initdb cluster between runs where the SQL check may run (plan, deploy)', () => {
    for (const job of ['plan', 'deploy']) {
      const steps = workflow.jobs[job]!.steps;
      const cache = steps.findIndex((s) => s.uses?.startsWith('actions/cache'));
      expect(steps[cache]?.with).toMatchObject({ path: '~/.cache/mb-sync' });
      expect(cache).toBeLessThan(steps.findIndex((s) => /mb-sync (plan|apply)\b/.test(s.run ?? '')));
    }
  });

  it('plans pull requests against staging, saves the plan file as an artifact and posts its markdown', () => {
    expect(workflow.jobs.plan!.if).toContain('pull_request');
    expect(runs('plan')).toContain('mb-sync validate');
    expect(runs('plan')).toContain('mb-sync plan --env staging --out plan.json --format markdown');
    const upload = workflow.jobs.plan!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.with?.name).toBe('mb-sync-plan');
    expect(String(upload?.with?.path).split('\n').filter(Boolean)).toEqual(['plan.json', 'plan-full.md']);
    expect(runs('plan')).toContain('actions/github-script');
    // The comment is cut under GitHub's limit and points to the whole plan in this artifact.
    expect(runs('plan')).toContain('--full-markdown plan-full.md');
    // Drift made in staging is shown apart from the pull request's own changes.
    expect(runs('plan')).toMatch(/git worktree add --detach \.\.\/base FETCH_HEAD[\s\S]*--baseline \.\.\/base\/metabase\.config\.yaml/);
    expect(runs('plan')).toContain('actions/upload-artifact');
  });

  it('deploys main by applying exactly the plan file reviewed on the merged pull request, never two at once', () => {
    const steps = workflow.jobs.deploy!.steps;
    const download = steps.findIndex((s) => s.uses?.startsWith('actions/download-artifact'));
    expect(steps[download]).toMatchObject({ with: { name: 'mb-sync-plan', 'run-id': '${{ steps.reviewed.outputs.run-id }}' } });
    expect(runs('deploy')).toMatch(/mb-sync db apply[\s\S]*mb-sync apply --env staging plan\.json/);
    // Without the replan input, nothing plans afresh on main: the reviewed file or nothing.
    const applying = steps.filter((s) => /mb-sync (apply|plan)\b/.test(s.run ?? ''));
    expect(applying.map((s) => [s.if, s.run?.trim()])).toEqual([
      ['${{ !inputs.replan }}', 'npx mb-sync apply --env staging plan.json'],
      ['${{ inputs.replan }}', expect.stringContaining('npx mb-sync plan --env staging --out plan.json')],
    ]);
    expect(workflow.jobs.deploy!.permissions).toMatchObject({ actions: 'read' });
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
