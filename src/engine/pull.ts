import { Shapes } from '../metabase/shapes.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { flatten } from '../core/collections.ts';
import { MbSyncError } from '../core/errors.ts';
import { mapLimit } from '../core/map-limit.ts';
import { collectionPlacer, type CollectionToDeclare, type ListedCollection } from '../core/pull-collection.ts';
import { parseMarker } from '../core/dashboard-body.ts';
import { pullDashboard, pullSubscriptions } from '../core/pull-dashboard.ts';
import type { ResourceHandler } from '../resources/types.ts';
import { readLive } from './read-live.ts';
import type { Target } from './open-target.ts';

/** The kinds pull reads before the dashboards: their ids are written back as names. */
const PULL_READS = ['database', 'collection'];

export interface PullResult {
  files: string[];
  skipped: string[];
  /** Collections the written files name that the config does not declare yet: entries to add. */
  collections: CollectionToDeclare[];
}

/**
 * Onboarding: dashboards that exist in Metabase written as YAML in the project's format, so that
 * `plan` right after shows no change for them. Selected by name or id; several at once.
 */
export async function pull(target: Target, options: { dashboards: string[]; outDir: string; handlers?: ResourceHandler[] }): Promise<PullResult> {
  const { api, project } = target;
  // Through the registry, like plan: the kinds whose ids pull turns back into names (fields, collections).
  const handlers = options.handlers ?? (await import('../resources/registry.ts')).handlers;
  // An old server is refused before anything is read from it (pull is not a daily command).
  await target.server;
  const { refs } = await readLive(handlers.filter((h) => PULL_READS.includes(h.kind)), { api, project });
  // Names are looked up in the project's collections and the root collection; ids work anywhere.
  const byName = options.dashboards.some((d) => !/^\d+$/.test(d))
    ? (await mapLimit(['root', ...refs.names('collection').map((k) => refs.id('collection', k)!)], api.concurrency, (id) =>
        api.get<{ data: Array<{ id: number; model: string; name: string }> }>(`/api/collection/${id}/items`, { params: { models: ['dashboard'] }, schema: Shapes.items }))).flatMap((page) => page.data)
    : [];
  const wanted = options.dashboards.map((selector) => {
    if (/^\d+$/.test(selector)) return Number(selector);
    const match = byName.find((d) => d.model === 'dashboard' && d.name === selector);
    if (!match) throw new MbSyncError('REFERENCE_UNKNOWN', `no dashboard named "${selector}" in the project's collections on ${target.url}`, { hint: 'pass its id instead (the number in its URL)' });
    return match.id;
  });
  const dashboards = await mapLimit(wanted, api.concurrency, (id) => api.get<Record<string, unknown>>(`/api/dashboard/${id}`, { schema: Shapes.dashboard }));

  // GET /api/dashboard/:id gives collection_id (not collection_name), and a hydrated `collection`
  // (dashboards_rest/api.clj; the root's is "Our analytics") without its parents' names: collections
  // the config does not declare are looked up, with their parents, in one list.
  const collectionIds = dashboards.flatMap((raw) => [raw.collection_id, ...((raw.dashcards ?? []) as Array<{ card?: { collection_id?: unknown } }>).map((dc) => dc.card?.collection_id)]);
  const declared = new Set(flatten(project.config.collections).map((c) => refs.id('collection', c.key)));
  const listed = collectionIds.some((id) => typeof id === 'number' && !declared.has(id))
    ? await api.get<ListedCollection[]>('/api/collection', { schema: Shapes.collections })
    : [];
  const placer = collectionPlacer(project.config, refs, listed);
  const placed = dashboards.map((raw) => placer.place(raw.collection_id as number | null));
  const refused = dashboards.flatMap((raw, i) => { const p = placed[i]!; return 'refused' in p ? [`"${String(raw.name)}" ${p.refused}`] : []; });
  if (refused.length > 0) {
    throw new MbSyncError('CONFIG_INVALID', `cannot pull: ${refused.join('; ')}`, {
      hint: 'the files keep dashboards in collections metabase.config.yaml declares: move it in Metabase into a shared collection (pull then says the entry to add if it is not declared), and pull again',
    });
  }

  const used = new Set([...project.cards.keys(), ...project.dashboards.map((d) => d.dashboard.key)]);
  await mkdir(options.outDir, { recursive: true });
  const result: PullResult = { files: [], skipped: [], collections: placer.toDeclare() };
  // Cards the project defines elsewhere are placed by key; those of a dashboard being pulled again are
  // written again with it (its file is replaced).
  const repulled = new Set(dashboards.map((raw) => parseMarker(raw.caveats)).filter((m) => m?.project === project.config.project).map((m) => m!.key));
  const replacedFiles = new Set(project.dashboards.filter((d) => repulled.has(d.dashboard.key)).map((d) => d.origin.file));
  const defined = new Set([...project.cards.values()].filter((c) => !replacedFiles.has(c.origin.file)).map((c) => c.card.key));
  const collectionOf = (id: unknown) => {
    const p = placer.place(id as number | null);
    return 'key' in p ? p.key : undefined;
  };
  for (const [i, raw] of dashboards.entries()) {
    const pulled = pullDashboard(raw, { refs, config: project.config, usedKeys: used, definedCards: defined, collectionOf, collection: (placed[i] as { key: string }).key });
    const subscriptions = pullSubscriptions(await api.get<Array<Record<string, unknown>>>('/api/pulse', { params: { dashboard_id: raw.id as number }, schema: Shapes.pulses }), pulled.key, project.config.project);
    if (subscriptions.length > 0) pulled.document.subscriptions = subscriptions;
    const file = join(options.outDir, `${pulled.key}.yaml`);
    const header = `# yaml-language-server: $schema=../schemas/dashboard.schema.json\n# Pulled from ${target.url}/dashboard/${String(raw.id)} by mb-sync pull.\n`;
    await writeFile(file, header + toYaml(pulled.document));
    result.files.push(file);
    result.skipped.push(...pulled.skipped.map((s) => `${pulled.key}: ${s}`));
  }
  return result;
}

/** A query clause, `[op, arg…, { options }]`: on one line, as written in the README. */
function isClause(node: unknown): boolean {
  if (!isSeq(node) || node.items.length === 0 || !isScalar(node.items[0])) return false;
  const last = node.items.length - 1;
  return node.items.every((item, i) => isScalar(item) || isClause(item) || (i === last && isMap(item) && item.items.every((p) => isScalar(p.value))));
}

/** Written the way people write these files: layouts, short lists and query clauses on one line. */
function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.value === 'layout' && isMap(pair.value)) pair.value.flow = true;
    },
    Seq(_key, seq) {
      if (isClause(seq) || seq.items.every((item) => isScalar(item) || (isSeq(item) && item.items.every(isScalar)))) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}
