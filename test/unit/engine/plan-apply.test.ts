import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Project } from '../../../src/core/project.ts';
import { ref, resolveRefs } from '../../../src/core/refs.ts';
import { applyPlan } from '../../../src/engine/apply-plan.ts';
import type { ApplyEvent } from '../../../src/core/events.ts';
import { makePlan } from '../../../src/engine/make-plan.ts';
import type { MetabaseApi, ServerInfo } from '../../../src/metabase/types.ts';
import type { LiveObject, ResourceHandler } from '../../../src/resources/types.ts';

/** A tiny in-memory "server" with two kinds, to exercise the engine without HTTP. */
function memoryKinds(store: { folders: Map<number, { name: string }>; docs: Map<number, { name: string; folder: number }> }, failDocs = new Set<string>()) {
  let nextId = 100;
  const folder: ResourceHandler<{ name: string }, { name: string }> = {
    kind: 'folder',
    dependsOn: [],
    desired: () => [{ key: 'main', body: { name: 'Main' } }],
    async read(ctx) {
      return [...store.folders].map(([id, raw]) => {
        const key = raw.name.toLowerCase();
        ctx.refs.set('collection', key, id);
        return { key, id, raw, managed: true };
      });
    },
    normalize: (live) => ({ name: live.raw.name }),
    async create(desired, ctx) {
      const id = nextId++;
      store.folders.set(id, { ...desired.body });
      ctx.refs.set('collection', desired.key, id);
      return id;
    },
    async update(desired, live) {
      store.folders.set(live.id as number, { ...desired.body });
    },
  };
  const doc: ResourceHandler<{ name: string; folder: unknown }, { name: string; folder: number }> = {
    kind: 'doc',
    readAfter: ['folder'],
    dependsOn: ['folder'],
    desired: () => ['a', 'b'].map((key) => ({ key, body: { name: key.toUpperCase(), folder: ref('collection', 'main') } })),
    async read() {
      return [...store.docs].map(([id, raw]) => ({ key: raw.name.toLowerCase(), id, raw, managed: true }));
    },
    normalize: (live: LiveObject<{ name: string; folder: number }>, refs) => ({ name: live.raw.name, folder: refs.toRef('collection', live.raw.folder) }),
    async create(desired, ctx) {
      if (failDocs.has(desired.key)) throw new Error('HTTP 500 from the server');
      const body = resolveRefs(desired.body, ctx.refs) as { name: string; folder: number };
      const id = nextId++;
      store.docs.set(id, body);
      return id;
    },
    async update() {},
    async archive(live) {
      store.docs.delete(live.id as number);
    },
  };
  return [folder, doc] as ResourceHandler[];
}

const server: ServerInfo = { tag: 'v0.58.1', major: 58, emailConfigured: true, siteUrl: null };
const api = { concurrency: 8, stats: { requests: 0, byMethod: {} } } as unknown as MetabaseApi;
// makePlan reads the views the project's sql/ defines: this repository's, as a project at its root would.
const project = { root: join(import.meta.dirname, '../../..'), config: { project: 'p', postgres: { schema: 'analytics', sql_dir: 'sql' } } } as unknown as Project;
const target = { environment: 'test', url: 'http://mb' };

async function planAndApply(handlers: ResourceHandler[], allowArchive = false) {
  const state = await makePlan({ project, api, server, target, handlers, allowArchive });
  const events: ApplyEvent[] = [];
  const result = await applyPlan({ state, handlers, context: { api, project, server, progress: () => {} }, emit: (e) => events.push(e) });
  return { plan: state.plan, result, events };
}

describe('makePlan + applyPlan', () => {
  it('creates in dependency order, resolving refs to ids made earlier, then plans no changes', async () => {
    const store = { folders: new Map(), docs: new Map() };
    const handlers = memoryKinds(store);
    const first = await planAndApply(handlers);
    expect(first.plan.summary).toEqual({ create: 3, update: 0, archive: 0, noop: 0 });
    expect(first.result.failed).toEqual([]);
    const folderId = [...store.folders.keys()][0];
    expect([...store.docs.values()]).toEqual([{ name: 'A', folder: folderId }, { name: 'B', folder: folderId }]);

    const second = await planAndApply(handlers);
    expect(second.plan.summary).toEqual({ create: 0, update: 0, archive: 0, noop: 3 });
    expect(second.events).toEqual([]);
  });

  it('stops after a failing stage and says what was applied and what was not', async () => {
    const store = { folders: new Map(), docs: new Map() };
    const { result, events } = await planAndApply(memoryKinds(store, new Set(['a'])));
    expect(result.applied.sort()).toEqual(['doc.b', 'folder.main']);
    expect(result.failed).toEqual([{ address: 'doc.a', error: 'HTTP 500 from the server' }]);
    expect(events.some((e) => e.type === 'failed' && e.address === 'doc.a')).toBe(true);
    // The next run converges: only the failed object is left to create.
    const again = await planAndApply(memoryKinds(store));
    expect(again.plan.summary.create).toBe(1);
    expect(again.result.applied).toEqual(['doc.a']);
  });

  it('lists removed objects as orphans and archives them only when allowed', async () => {
    const store = { folders: new Map([[1, { name: 'Main' }]]), docs: new Map([[2, { name: 'A', folder: 1 }], [3, { name: 'B', folder: 1 }], [4, { name: 'OLD', folder: 1 }]]) };
    const kept = await planAndApply(memoryKinds(store));
    expect(kept.plan.orphans.map((o) => o.address)).toEqual(['doc.old']);
    expect(store.docs.has(4)).toBe(true);
    const archived = await planAndApply(memoryKinds(store), true);
    expect(archived.result.applied).toEqual(['doc.old']);
    expect(store.docs.has(4)).toBe(false);
  });

  it('fingerprints each object, live and desired, so a saved plan can be refused naming what moved', async () => {
    const store = { folders: new Map([[1, { name: 'Main' }]]), docs: new Map() };
    const before = await makePlan({ project, api, server, target, handlers: memoryKinds(store), allowArchive: false });
    expect(Object.keys(before.plan.fingerprints!.live)).toEqual(['folder.main']);
    expect(Object.keys(before.plan.fingerprints!.files)).toEqual(['folder.main', 'doc.a', 'doc.b']);
    store.docs.set(9, { name: 'A', folder: 1 });
    const after = await makePlan({ project, api, server, target, handlers: memoryKinds(store), allowArchive: false });
    expect(Object.keys(after.plan.fingerprints!.live)).toEqual(['folder.main', 'doc.a']);
    expect(after.plan.fingerprints!.live['folder.main']).toBe(before.plan.fingerprints!.live['folder.main']);
    expect(after.plan.fingerprints!.files).toEqual(before.plan.fingerprints!.files);
  });

  it('fingerprints only what a partial plan covers, and what it is asked to besides', async () => {
    const store = { folders: new Map([[1, { name: 'Main' }]]), docs: new Map([[9, { name: 'B', folder: 1 }]]) };
    const partial = await makePlan({ project, api, server, target, handlers: memoryKinds(store), allowArchive: false, select: ['doc:a'] });
    // (These docs name their folder as a `collection:` ref, which is no kind here: nothing more is needed.)
    expect(Object.keys(partial.plan.fingerprints!.files)).toEqual(['doc.a']);
    expect(partial.plan.fingerprints!.live).toEqual({});
    const checking = await makePlan({ project, api, server, target, handlers: memoryKinds(store), allowArchive: false, select: ['doc:a'], fingerprintAlso: ['doc.b'] });
    expect(Object.keys(checking.plan.fingerprints!.live)).toEqual(['doc.b']);
    expect(Object.keys(checking.plan.fingerprints!.files)).toEqual(['doc.a', 'doc.b']);
  });
});
