import { assemblePlan, type KindState } from '../core/assemble-plan.ts';
import { fingerprint, planDigest } from '../core/fingerprint.ts';
import { PLAN_FORMAT_VERSION, summarize, type Plan, type PlanTarget } from '../core/plan.ts';
import type { Project } from '../core/project.ts';
import type { RefIndex } from '../core/refs.ts';
import type { MetabaseApi, ServerInfo } from '../metabase/types.ts';
import type { DesiredObject, LiveObject, ResourceHandler } from '../resources/types.ts';
import { readLive } from './read-live.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { collectRefs, parseRef } from '../core/refs.ts';
import { didYouMean } from '../core/suggest.ts';

/**
 * A column missing from a table Metabase already knows is a mistake in the files, not something
 * the sync will bring: say so now, with the nearest names, before anything is written. (A table
 * Metabase does not know yet may be a new view: that one waits for the sync.)
 */
function assertKnownColumns(desired: Map<string, DesiredObject[]>, refs: RefIndex): void {
  const issues: ConfigIssue[] = [];
  const fields = refs.names('field');
  for (const [kind, objects] of desired) {
    for (const object of objects) {
      for (const r of collectRefs(object.body)) {
        const { kind: refKind, name } = parseRef({ $ref: r });
        if (refKind !== 'field' || refs.has('field', name)) continue;
        const table = name.split('.').slice(0, 2).join('.');
        if (!refs.has('table', table)) continue;
        const candidates = fields.filter((f) => f.startsWith(`${table}.`));
        issues.push({ file: object.origin?.file ?? `${kind}.${object.key}`, path: object.origin?.path ?? '', ...(object.origin?.line === undefined ? {} : { line: object.origin.line }), message: `${kind}.${object.key}: Metabase has no column ${name}${didYouMean(name, candidates)}` });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

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

  assertKnownColumns(desired, refs);

  const kinds: KindState[] = handlers.map((handler) => ({
    kind: handler.kind,
    desired: (desired.get(handler.kind) ?? []).map((d) => ({ key: d.key, body: d.body })),
    live: (live.get(handler.kind) ?? []).map((object) => ({
      key: object.key,
      id: object.id,
      managed: object.managed,
      archived: object.archived,
      ...(object.duplicateOf === undefined ? {} : { duplicateOf: object.duplicateOf }),
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
  plan.digest = planDigest(plan as unknown as Record<string, unknown>);
  return { plan, refs, live, desired };
}
