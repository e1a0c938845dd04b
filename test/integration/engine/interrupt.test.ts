import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { openSession, useFakeMetabase } from './harness.ts';
import { DB_PASSWORD, env, files } from './fixture-project.ts';

const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');
const t = useFakeMetabase({ files });

/** The permission cells of a collection in the fake's graph, by group name. */
function cellsOf(collectionName: string): Record<string, string> {
  const collection = [...t.fake.state.collections.values()].find((c) => c.name === collectionName);
  if (!collection) return {};
  const out: Record<string, string> = {};
  for (const [groupId, row] of Object.entries(t.fake.state.graph.groups)) {
    const access = row[String(collection.id)];
    if (access !== undefined) out[String(t.fake.state.groups.find((g) => g.id === Number(groupId))?.name ?? groupId)] = access;
  }
  return out;
}

describe('interrupting an apply', () => {
  it('stops starting objects once aborted, finishes the one in flight, and lists the rest as not run', async () => {
    const session = await openSession(t.fake, t.root, env);
    const state = await session.plan();
    const stop = new AbortController();
    const events: string[] = [];
    const result = await applyPlan({
      state,
      handlers,
      concurrency: 1,
      signal: stop.signal,
      context: { api: session.api, project: session.project, server: session.server, progress: () => {}, pollIntervalMs: 5 },
      emit: (e) => {
        if (e.type === 'done') events.push(e.address);
        // Ctrl-C right after the first collection was made.
        if (e.type === 'start' && e.address === 'collection.phoenix') stop.abort();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.applied).toContain('collection.phoenix');
    expect(result.notRun).toContain('card.spend-by-module');
    expect(result.notRun).toContain('dashboard.energie');
    // The collection that was made is already guarded: its permissions went with it.
    expect(cellsOf('Phoenix')).toMatchObject({ Product: 'read' });
    // The next apply does the rest and converges.
    const next = await (await openSession(t.fake, t.root, env)).apply();
    expect(next.result.failed).toEqual([]);
    const after = await (await openSession(t.fake, t.root, env)).plan();
    expect(after.plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop')).toEqual([]);
  });

  it('a new collection and its permissions are one step: no separate write for the permissions', async () => {
    const { result, events } = await (await openSession(t.fake, t.root, env)).apply();
    expect(result.failed).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'done', address: 'collection-permissions.product/phoenix', ms: 0 }));
    const graphWrites = t.fake.requests.filter((r) => r.method === 'PUT' && r.path === '/api/collection/graph');
    expect(graphWrites).toHaveLength(1); // phoenix, with its child created after it has no declared cells
    expect(cellsOf('Phoenix')).toMatchObject({ Product: 'read' });
  });

  it('Ctrl-C on the command line: exit 130, what was and was not applied printed, and the next apply finishes', async () => {
    t.fake.setLatency(40);
    const child = spawn(process.execPath, [BIN, 'apply', '--yes', '--concurrency', '1'], {
      cwd: t.root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', MB_URL: t.fake.url, MB_API_KEY: t.fake.apiKey, PHOENIX_RO_PASSWORD: DB_PASSWORD },
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /✓ collection\./.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('Stopping: the requests in flight finish');
    expect(code).toBe(130);
    expect(stderr).toMatch(/apply interrupted on \w+: \d+ change\(s\) applied, \d+ not run/);
    expect(stderr).toMatch(/not run: .*dashboard\.energie/);
    t.fake.setLatency(0);
    const next = await (await openSession(t.fake, t.root, env)).apply();
    expect(next.result.failed).toEqual([]);
    expect(t.fake.state.dashboards.size).toBe(1);
  });
});
