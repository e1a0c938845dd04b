import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadProject } from '../../../src/config/load-project.ts';
import type { Project } from '../../../src/core/project.ts';
import { applyPlan, type ApplyResult } from '../../../src/engine/apply-plan.ts';
import type { ApplyEvent } from '../../../src/core/events.ts';
import { makePlan, type PlanningState } from '../../../src/engine/make-plan.ts';
import { createMetabaseClient, readServerInfo } from '../../../src/metabase/client.ts';
import type { MetabaseApi, ServerInfo } from '../../../src/metabase/types.ts';
import { handlers } from '../../../src/resources/registry.ts';
import { afterEach, beforeEach, expect } from 'vitest';
import { startFakeMetabase, type FakeCatalog, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { catalog as fixtureCatalog, env as fixtureEnv } from './fixture-project.ts';
import { PHOENIX_SQL } from '../../support/phoenix.ts';

/**
 * A project written to a temp dir from inline YAML texts, loaded like the CLI loads it. Its cards
 * read the Phoenix views: unless the files bring a `sql/` of their own, the temp project's `sql`
 * is a link to the Phoenix project's (the repository's), as a checkout of Phoenix would have it.
 */
export async function writeProject(files: Record<string, string>): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'mb-sync-e2e-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), text);
  }
  if (!Object.keys(files).some((name) => name.startsWith('sql/'))) await symlink(PHOENIX_SQL.dir, join(root, 'sql'), 'dir');
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface Session {
  project: Project;
  api: MetabaseApi;
  server: ServerInfo;
  plan(options?: { allowArchive?: boolean; select?: string[] }): Promise<PlanningState>;
  apply(options?: { allowArchive?: boolean; select?: string[] }): Promise<{ state: PlanningState; result: ApplyResult; events: ApplyEvent[] }>;
}

/** The engine wired as the CLI wires it, against a fake Metabase (`timeoutMs`: the client's, when a test makes answers late). */
export async function openSession(fake: FakeMetabase, root: string, env: NodeJS.ProcessEnv, client: { timeoutMs?: number } = {}): Promise<Session> {
  const project = await loadProject({ configPath: join(root, 'metabase.config.yaml'), env });
  const api = createMetabaseClient({ url: fake.url, auth: { apiKey: fake.apiKey }, retryBaseMs: 1, ...client });
  const server = await readServerInfo(api);
  const target = { environment: 'test', url: fake.url };
  const plan = (options: { allowArchive?: boolean; select?: string[] } = {}) =>
    makePlan({ project, api, server, target, handlers, allowArchive: Boolean(options.allowArchive), ...(options.select ? { select: options.select } : {}) });
  return {
    project,
    api,
    server,
    plan,
    async apply(options = {}) {
      const state = await plan(options);
      const events: ApplyEvent[] = [];
      const result = await applyPlan({ state, handlers, context: { api, project, server, progress: () => {}, pollIntervalMs: 5 }, emit: (e) => events.push(e) });
      return { state, result, events };
    },
  };
}

/**
 * What most engine tests set up: a fresh fake Metabase per test, temporary projects cleaned up after
 * it, and plan / apply through the engine as the CLI wires it. With `files`, a project of those
 * files is written before each test (`root`).
 *
 *   const t = useFakeMetabase({ files });
 *   await t.apply(t.root); t.fake.state.cards; await t.project({ ...files, 'x.yaml': '…' });
 */
export function useFakeMetabase(options: { catalog?: FakeCatalog; syncPolls?: number; env?: NodeJS.ProcessEnv; files?: Record<string, string> } = {}) {
  const env = options.env ?? fixtureEnv;
  let fake: FakeMetabase | undefined;
  let root: string | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  const project = async (files: Record<string, string>): Promise<string> => {
    const written = await writeProject(files);
    cleanups.push(written.cleanup);
    return written.root;
  };
  beforeEach(async () => {
    fake = await startFakeMetabase({ catalog: options.catalog ?? fixtureCatalog, syncPolls: options.syncPolls ?? 1 });
    root = options.files ? await project(options.files) : undefined;
  });
  afterEach(async () => {
    await fake?.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const session = (at: string) => openSession(fake!, at, env);
  return {
    get fake(): FakeMetabase {
      return fake!;
    },
    /** The project of `options.files`, written for this test. */
    get root(): string {
      if (root === undefined) throw new Error('useFakeMetabase was given no files');
      return root;
    },
    project,
    session,
    async plan(at: string, planOptions: { allowArchive?: boolean; select?: string[] } = {}) {
      return (await (await session(at)).plan(planOptions)).plan;
    },
    /** Applies and expects nothing to fail; the plan it applied and its result. */
    async apply(at: string, applyOptions: { allowArchive?: boolean; select?: string[] } = {}) {
      const applied = await (await session(at)).apply(applyOptions);
      expect(applied.result.failed).toEqual([]);
      return applied;
    },
  };
}
