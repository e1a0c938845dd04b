import { assemblePlan, type KindState } from '../core/assemble-plan.ts';
import { diffValues } from '../core/diff.ts';
import { deferred } from '../core/deferred.ts';
import { annotateCauses } from '../core/cause.ts';
import { planDigest } from '../core/fingerprint.ts';
import { objectFingerprints } from '../core/object-fingerprints.ts';
import { PLAN_FORMAT_VERSION, summarize, type Action, type FieldChange, type Plan, type PlanTarget, type Stage } from '../core/plan.ts';
import { keepSelected, parseSelectors, refsOfBodies, SelectError, selectedAddresses, type Selector } from '../core/select.ts';
import type { Project } from '../core/project.ts';
import type { RefIndex } from '../core/refs.ts';
import type { MetabaseApi, ServerInfo } from '../metabase/types.ts';
import type { DesiredObject, LiveObject, ResourceHandler } from '../resources/types.ts';
import { readLive } from './read-live.ts';
import { ConfigError, MbSyncError, type ConfigIssue } from '../core/errors.ts';
import { collectRefs, parseRef } from '../core/refs.ts';
import { didYouMean } from '../core/suggest.ts';
import { unknownModelColumns } from '../core/model-columns.ts';
import { filterMappings } from '../core/filter-mappings.ts';
import { definedViews, sqlLayout } from '../postgres/sql-files.ts';

/**
 * A column missing from a table Metabase already knows is a mistake in the files, not something
 * the sync will bring: say so now, with the nearest names, before anything is written. (A table
 * Metabase does not know yet may be a new view: that one waits for the sync.)
 */
function assertKnownColumns(desired: Map<string, DesiredObject[]>, refs: RefIndex, views: ReadonlySet<string>, project: Project): void {
  const issues: ConfigIssue[] = [];
  const fields = refs.names('field');
  const tables = [...new Set([...refs.names('table'), ...views])];
  const reported = new Set<string>();
  // Refs into views the sync has yet to bring (their columns are checked after it): thousands of
  // cards of a first apply name the same few.
  const afterSync = new Set<string>();
  for (const [kind, objects] of desired) {
    for (const object of objects) {
      for (const r of collectRefs(object.body)) {
        if (refs.hasRef(r) || afterSync.has(r) || !(r.startsWith('field:') || r.startsWith('table:'))) continue;
        const { name } = parseRef({ $ref: r });
        const table = name.split('.').slice(0, 2).join('.');
        // A table neither in Metabase nor made by the project's SQL will never appear: say so now,
        // instead of starting a sync and waiting out its timeout.
        if (!refs.has('table', table) && !views.has(table.toLowerCase())) {
          if (reported.has(`${object.origin?.file}:${table}`)) continue;
          reported.add(`${object.origin?.file}:${table}`);
          issues.push({ file: object.origin?.file ?? `${kind}.${object.key}`, path: object.origin?.path ?? '', ...(object.origin?.line === undefined ? {} : { line: object.origin.line }), message: `${kind}.${object.key}: no table ${table} in Metabase nor in the project's SQL${didYouMean(table, tables)}` });
          continue;
        }
        if (!refs.has('table', table)) {
          afterSync.add(r);
          continue;
        }
        // A column of a table Metabase knows, which it does not have; in a dashboard, at the filter
        // mapping that names it (as validate reports it), not at the dashboard's first line.
        const candidates = fields.filter((f) => f.startsWith(`${table}.`));
        const entry = kind === 'dashboard' ? project.dashboards.find((d) => d.dashboard.key === object.key) : undefined;
        const mapping = entry === undefined ? undefined : filterMappings(project, entry).find((m) => m.field === name);
        const where = mapping ?? { path: object.origin?.path ?? '', line: object.origin?.line };
        issues.push({ file: object.origin?.file ?? `${kind}.${object.key}`, path: where.path, ...(where.line === undefined ? {} : { line: where.line }), message: `${kind}.${object.key}: Metabase has no column ${name}${didYouMean(name, candidates)}` });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * Alerts and subscriptions on a Metabase without SMTP would never be sent (metabase-api.md §7): said
 * at plan time, so `apply` refuses before its first write rather than after the cards and dashboards.
 */
function assertEmailFor(plan: Plan, project: Project, server: ServerInfo): void {
  if (server.emailConfigured || !project.config.require_email) return;
  const mailing = plan.stages.filter((s) => s.kind === 'alert' || s.kind === 'subscription').flatMap((s) => s.actions).filter((a) => a.op === 'create' || a.op === 'update');
  if (mailing.length === 0) return;
  throw new MbSyncError('CONFIG_INVALID', `Metabase has no e-mail (SMTP) configured, so ${mailing.map((a) => a.address).join(', ')} would never be sent; nothing was changed`, {
    hint: 'configure e-mail in Metabase (Admin → Settings → Email, or `mb-sync bootstrap --smtp-host`), or set require_email: false in the config to create them anyway',
  });
}

/** Model column metadata for a column the live table (synced) does not have. */
function assertModelColumns(project: Project, refs: RefIndex): void {
  const fields = refs.names('field');
  const issues: ConfigIssue[] = [];
  for (const { card, origin } of project.cards?.values() ?? []) {
    for (const miss of unknownModelColumns(card, (table) => (refs.has('table', table) ? fields.filter((f) => f.startsWith(`${table}.`)).map((f) => f.slice(table.length + 1)) : undefined))) {
      const path = [origin.path, `columns.${miss.column}`].filter(Boolean).join('.');
      const line = origin.lines?.[`columns.${miss.column}`] ?? origin.line;
      issues.push({ file: origin.file, path, ...(line === undefined ? {} : { line }), message: `card.${card.key}: the model has no column ${miss.column}${didYouMean(miss.column, miss.candidates)}` });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

export interface PlanInput {
  project: Project;
  api: MetabaseApi;
  /**
   * Or its promise (openTarget's): the reads go out while the version is asked for, and a refused
   * server is reported as such even when its answers to them fail first (versionRefusalFirst).
   */
  server: ServerInfo | Promise<ServerInfo>;
  target: Omit<PlanTarget, 'metabaseVersion'>;
  handlers: ResourceHandler[];
  allowArchive: boolean;
  now?: () => Date;
  /**
   * Whether the plan leaves the process (`plan --out`, `--json`, or to compare with a saved one):
   * only then are the fingerprints (a hash of each object) and the digest worked out.
   */
  seal?: boolean;
  /**
   * The project as on the base branch (`plan --baseline`): each change is marked as the files' own,
   * drift made in Metabase, or both (src/core/cause.ts).
   */
  baseline?: Project;
  /** `--select` selectors: the plan keeps what they name and what that needs (src/core/select.ts). */
  select?: readonly string[];
  /**
   * Addresses to fingerprint besides those the plan covers: a saved partial plan's, when this plan
   * is made to check it (what its selection no longer keeps must still be compared).
   */
  fingerprintAlso?: Iterable<string>;
  /** Tables the project's SQL makes (known after the sync); read from sql/ when not given. */
  projectViews?: ReadonlySet<string>;
}

/** Everything apply needs besides the plan itself: it is recomputed, never read from a plan file. */
export interface PlanningState {
  plan: Plan;
  refs: RefIndex;
  live: Map<string, LiveObject[]>;
  desired: Map<string, DesiredObject[]>;
}

/** A partial plan: the selected objects and what they need; a selector that matches nothing is an error. */
function select(assembled: { stages: Stage[]; orphans: Action[] }, kinds: KindState[], texts: readonly string[]): { stages: Stage[]; orphans: Action[]; selection: NonNullable<Plan['selection']>; keep: Set<string> } {
  const selectors = parseSelectorsOrThrow(texts, kinds.map((k) => k.kind));
  const candidates = [...assembled.stages.flatMap((s) => s.actions), ...assembled.orphans].map((a) => ({ kind: a.kind, key: a.key }));
  const { keep, unmatched } = selectedAddresses(selectors, candidates, refsOfBodies(new Map(kinds.map((k) => [k.kind, k.desired]))));
  if (unmatched.length > 0) {
    throw new MbSyncError('CONFIG_INVALID', unmatched.map((u) => `--select ${u.text} matches nothing${didYouMean(u.text.replace('.', ':'), candidates.filter((c) => c.kind === u.kind).map((c) => `${c.kind}:${c.key}`))}`).join('\n'));
  }
  return { ...keepSelected(assembled.stages, assembled.orphans, keep), selection: { selectors: selectors.map((s) => s.text), objects: keep.size, of: candidates.length }, keep };
}

/** Selectors checked against the kinds mb-sync knows (the CLI calls it before anything is sent). */
export function parseSelectorsOrThrow(texts: readonly string[], kinds: readonly string[]): Selector[] {
  try {
    return parseSelectors(texts, kinds);
  } catch (error) {
    if (error instanceof SelectError) throw new MbSyncError('CONFIG_INVALID', error.message);
    throw error;
  }
}

export async function makePlan(input: PlanInput): Promise<PlanningState> {
  const { project, handlers } = input;
  // The reads are mostly waiting on the network: what the files ask for is compiled, and each kind
  // read is normalised, in those waits (each step a turn of its own, after the requests that can go
  // out have gone), instead of after the last answer.
  const normalized = new Map<string, unknown[]>();
  const normalizing: Array<Promise<void>> = [];
  const compiledKind = new Map(handlers.map((h) => [h.kind, deferred<DesiredObject[]>()]));
  // A kind whose desired objects need nothing more (no prepare) is diffed as soon as it is both
  // compiled and read, while later kinds are still being fetched: by kind, then key.
  const diffs = new Map<string, Map<string, FieldChange[]>>();
  const serverInfo = Promise.resolve(input.server);
  const reading = readLive(handlers, { api: input.api, project }, (handler, objects, refs) => {
    const step = inSlices(objects, (object) => handler.normalize(object, refs)).then(async (bodies) => {
      normalized.set(handler.kind, bodies);
      if (handler.prepare) return;
      const wanted = await compiledKind.get(handler.kind)!.promise;
      const liveBodies = new Map(objects.map((object, i) => [object.key, bodies[i]]));
      const changes = await inSlices(wanted.filter((d) => liveBodies.has(d.key)), (d) => [d.key, diffValues(liveBodies.get(d.key), d.body)] as const);
      diffs.set(handler.kind, new Map(changes));
    });
    step.catch(() => {}); // awaited below; a failure while the reads go on must not go unhandled
    normalizing.push(step);
  });
  const compiling = (async () => {
    for (const h of handlers) {
      await h.warm?.(project);
      compiledKind.get(h.kind)!.resolve(await inSlices(h.desired(project), (object) => object));
    }
  })();
  compiling.catch((error: Error) => { for (const d of compiledKind.values()) d.reject(error); });
  let read: Awaited<typeof reading>;
  let server: ServerInfo;
  try {
    [read, , server] = await Promise.all([reading, compiling, serverInfo]);
  } catch (error) {
    throw await versionRefusalFirst(serverInfo, error);
  }
  const { refs, live } = read;
  const initial = new Map(await Promise.all(handlers.map(async (h) => [h.kind, await compiledKind.get(h.kind)!.promise] as const)));
  await Promise.all(normalizing);
  const readContext = { api: input.api, project, refs, live, after: () => Promise.resolve() };
  const desired = new Map(
    await Promise.all(handlers.map(async (h) => [h.kind, h.prepare ? await h.prepare(initial.get(h.kind) ?? [], readContext) : (initial.get(h.kind) ?? [])] as const)),
  );

  const kinds: KindState[] = handlers.map((handler) => ({
    kind: handler.kind,
    ...(handler.archiveLast ? { archiveLast: true } : {}),
    ...(diffs.has(handler.kind) ? { changes: diffs.get(handler.kind)! } : {}),
    desired: (desired.get(handler.kind) ?? []).map((d) => ({ key: d.key, body: d.body })),
    live: (live.get(handler.kind) ?? []).map((object, index) => ({
      key: object.key,
      id: object.id,
      managed: object.managed,
      archived: object.archived,
      ...(object.duplicateOf === undefined ? {} : { duplicateOf: object.duplicateOf }),
      ...(object.contains === undefined ? {} : { contains: object.contains }),
      body: normalized.get(handler.kind)![index],
    })),
  }));
  const assembled = assemblePlan(kinds, { allowArchive: input.allowArchive, refs });
  // Names are checked for what would be written: an unchanged object matches the live one, whose
  // tables and columns exist (a no-op plan of thousands of cards pays nothing for it).
  const writing = new Set(assembled.stages.flatMap((s) => s.actions).filter((a) => a.op === 'create' || a.op === 'update').map((a) => `${a.kind}:${a.key}`));
  const toWrite = new Map([...desired].map(([kind, objects]) => [kind, objects.filter((o) => writing.has(`${kind}:${o.key}`))]));
  assertKnownColumns(toWrite, refs, input.projectViews ?? new Set(await definedViews(sqlLayout(project.root, project.config.postgres))), project);
  assertModelColumns(project, refs);
  const { stages, orphans, selection, keep }: { stages: Stage[]; orphans: Action[]; selection?: Plan['selection']; keep?: Set<string> } = input.select?.length ? select(assembled, kinds, input.select) : assembled;

  // A partial plan answers for what it covers only: a change elsewhere does not make it stale.
  const covered = keep && new Set([...keep, ...[...(input.fingerprintAlso ?? [])].map(addressId)]);

  if (input.baseline) {
    const baselineContext = { ...readContext, project: input.baseline };
    const baselineBodies = new Map<string, unknown>();
    for (const h of handlers) {
      const objects = [...h.desired(input.baseline)];
      for (const o of h.prepare ? await h.prepare(objects, baselineContext) : objects) baselineBodies.set(`${h.kind}:${o.key}`, o.body);
    }
    const byId = (pick: (k: KindState) => Array<{ key: string; body: unknown }>) => new Map(kinds.flatMap((k) => pick(k).map((o) => [`${k.kind}:${o.key}`, o.body] as const)));
    annotateCauses([...stages.flatMap((s) => s.actions), ...orphans], { baseline: baselineBodies, desired: byId((k) => k.desired), live: byId((k) => k.live) });
  }

  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    project: project.config.project,
    target: { ...input.target, metabaseVersion: server.tag },
    createdAt: (input.now ?? (() => new Date()))().toISOString(),
    ...(input.seal === false ? {} : { fingerprints: objectFingerprints(kinds, initial, covered) }),
    allowArchive: input.allowArchive,
    stages,
    orphans,
    ...(selection === undefined ? {} : { selection }),
    summary: summarize(stages),
  };
  assertEmailFor(plan, project, server);
  if (input.seal !== false) plan.digest = planDigest(plan as unknown as Record<string, unknown>);
  return { plan, refs, live, desired };
}

/** `card.spend-by-module` → `card:spend-by-module` (kinds have no dot). */
const addressId = (address: string) => address.replace('.', ':');

/**
 * What to report when a plan fails while the server's version is read alongside it: the version's
 * refusal (exit 3) when it is refused, whatever broke first (a read the old server answered
 * oddly, a project without views); otherwise the error itself. A server that cannot be reached
 * does not hide what is wrong in the files: the failure found first is said.
 */
export async function versionRefusalFirst(server: ServerInfo | Promise<ServerInfo>, error: unknown): Promise<unknown> {
  const refusal = await Promise.resolve(server).then(() => undefined, (e: unknown) => e);
  return refusal instanceof MbSyncError && refusal.code === 'METABASE_VERSION' ? refusal : error;
}

/**
 * `items.map(step)`, a few milliseconds at a time: between two slices the event loop handles the
 * answers that came in and sends the requests they let go, so a long computation never holds up
 * the reads it runs next to.
 */
async function inSlices<T, U>(items: Iterable<T>, step: (item: T) => U, sliceMs = 4): Promise<U[]> {
  const out: U[] = [];
  await nextTurn();
  let started = performance.now();
  for (const item of items) {
    out.push(step(item));
    if (performance.now() - started > sliceMs) {
      await nextTurn();
      started = performance.now();
    }
  }
  return out;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
