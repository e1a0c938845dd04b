import { assemblePlan, type KindState } from '../core/assemble-plan.ts';
import { fingerprint } from '../core/fingerprint.ts';
import { PLAN_FORMAT_VERSION, summarize, type Plan, type PlanTarget } from '../core/plan.ts';
import type { Project } from '../core/project.ts';
import type { RefIndex } from '../core/refs.ts';
import type { MetabaseApi, ServerInfo } from '../metabase/types.ts';
import type { DesiredObject, LiveObject, ResourceHandler } from '../resources/types.ts';
import { readLive } from './read-live.ts';

export interface PlanInput {
  project: Project;
  api: MetabaseApi;
  server: ServerInfo;
  target: Omit<PlanTarget, 'metabaseVersion'>;
  handlers: ResourceHandler[];
  allowArchive: boolean;
  now?: () => Date;
}

/** Everything apply needs besides the plan itself: it is recomputed, never read from a plan file. */
export interface PlanningState {
  plan: Plan;
  refs: RefIndex;
  live: Map<string, LiveObject[]>;
  desired: Map<string, DesiredObject[]>;
}

export async function makePlan(input: PlanInput): Promise<PlanningState> {
  const { project, handlers } = input;
  const initial = new Map(handlers.map((h) => [h.kind, h.desired(project)]));
  const { refs, live } = await readLive(handlers, { api: input.api, project, server: input.server });
  const readContext = { api: input.api, project, server: input.server, refs, live };
  const desired = new Map(
    await Promise.all(handlers.map(async (h) => [h.kind, h.prepare ? await h.prepare(initial.get(h.kind) ?? [], readContext) : (initial.get(h.kind) ?? [])] as const)),
  );

  const kinds: KindState[] = handlers.map((handler) => ({
    kind: handler.kind,
    desired: (desired.get(handler.kind) ?? []).map((d) => ({ key: d.key, body: d.body })),
    live: (live.get(handler.kind) ?? []).map((object) => ({
      key: object.key,
      id: object.id,
      managed: object.managed,
      archived: object.archived,
      body: handler.normalize(object, refs),
    })),
  }));
  const { stages, orphans } = assemblePlan(kinds, { allowArchive: input.allowArchive, refs });

  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    project: project.config.project,
    target: { ...input.target, metabaseVersion: input.server.tag },
    createdAt: (input.now ?? (() => new Date()))().toISOString(),
    liveFingerprint: fingerprint(kinds.map((k) => ({ kind: k.kind, live: k.live }))),
    desiredFingerprint: fingerprint(kinds.map((k) => ({ kind: k.kind, desired: k.desired }))),
    allowArchive: input.allowArchive,
    stages,
    orphans,
    summary: summarize(stages),
  };
  return { plan, refs, live, desired };
}
