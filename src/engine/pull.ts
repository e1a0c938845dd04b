import { Shapes } from '../metabase/shapes.ts';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { flatten } from '../core/collections.ts';
import { MbSyncError } from '../core/errors.ts';
import { mapLimit } from '../core/map-limit.ts';
import { printableUrl } from '../core/secrets.ts';
import { collectionPlacer, type CollectionToDeclare, type ListedCollection } from '../core/pull-collection.ts';
import { pullDashboard, pullSubscriptions } from '../core/pull-dashboard.ts';
import { adoptedCardKeys, projectDashboardOf } from '../core/pull-identity.ts';
import { otherOwner, type MarkedCard } from '../core/card-marker.ts';
import type { ResourceHandler } from '../resources/types.ts';
import { readLive } from './read-live.ts';
import type { Target } from './open-target.ts';

/** The kinds pull reads before the dashboards: their ids are written back as names. */
// The cards and dashboards too: a pulled dashboard is the project's one exactly when plan would take
// it for that one (by its marker, or adopted by name), never a namesake of it.
const PULL_READS = ['database', 'collection', 'card', 'dashboard'];

export interface PullResult {
  files: string[];
  /** Those of `files` that were there before (replaced, with --force). */
  replaced: string[];
  skipped: string[];
  /** Collections the written files name that the config does not declare yet: entries to add. */
  collections: CollectionToDeclare[];
}

/**
 * Onboarding: dashboards that exist in Metabase written as YAML in the project's format, so that
 * `plan` right after shows no change for them. Selected by name or id; several at once. A dashboard
 * the project already has is written to its own file, whatever that file is called; a file that is
 * there already is replaced only with `force` (its comments and layout are not kept), and a refusal
 * writes nothing at all.
 */
export async function pull(target: Target, options: { dashboards: string[]; outDir: string; force?: boolean; handlers?: ResourceHandler[] }): Promise<PullResult> {
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
  const wanted = [...new Set(options.dashboards.map((selector) => {
    if (/^\d+$/.test(selector)) return Number(selector);
    const match = byName.find((d) => d.model === 'dashboard' && d.name === selector);
    if (!match) throw new MbSyncError('REFERENCE_UNKNOWN', `no dashboard named "${selector}" in the project's collections on ${printableUrl(target.url)}`, { hint: 'pass its id instead (the number in its URL)' });
    return match.id;
  }))];
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

  // Where each one goes: the file of the project's dashboard it is, or <key>.yaml for a new one.
  const found = dashboards.map((raw) => projectDashboardOf(raw, project, refs));
  const replacedFiles = new Set(found.flatMap((d) => (d ? [d.origin.file] : [])));
  const used = new Set([...project.cards.keys(), ...project.dashboards.map((d) => d.dashboard.key)]);
  // Cards the project defines elsewhere are placed by key; those of a dashboard being pulled again are
  // written again with it (its file is replaced).
  const defined = new Set([...project.cards.values()].filter((c) => !replacedFiles.has(c.origin.file)).map((c) => c.card.key));
  const adoptedCards = adoptedCardKeys(project);
  const collectionOf = (id: unknown) => {
    const p = placer.place(id as number | null);
    return 'key' in p ? p.key : undefined;
  };
  // Every subscription in one list, as plan reads them, rather than one request per dashboard.
  const subscriptions = await api.get<Array<Record<string, unknown>>>('/api/pulse', { schema: Shapes.pulses });
  const pulses = dashboards.map((raw) => subscriptions.filter((p) => p.dashboard_id === raw.id));
  // A card that is another mb-sync project's own is not pinned by entity_id (plan would refuse it):
  // judged among every card the pulled dashboards hold, so that a copy of one is told apart.
  const heldCards = dashboards.flatMap((raw) => ((raw.dashcards ?? []) as Array<{ card?: Record<string, unknown> }>).flatMap((dc) => (dc.card && typeof dc.card.id === 'number' ? [dc.card as unknown as MarkedCard] : [])));
  const ownerOf = otherOwner(project.config.project, heldCards);
  const ownedElsewhere = (card: Record<string, unknown>) => ownerOf(card as unknown as MarkedCard) !== undefined;
  const pulled = dashboards.map((raw, i) => {
    const existing = found[i];
    const out = pullDashboard(raw, { refs, config: project.config, usedKeys: used, definedCards: defined, adoptedCards, ownedElsewhere, collectionOf, collection: (placed[i] as { key: string }).key, ...(existing ? { key: existing.dashboard.key } : {}) });
    const subscriptions = pullSubscriptions(pulses[i]!, out.key, project.config.project);
    if (subscriptions.length > 0) out.document.subscriptions = subscriptions;
    return { raw, ...out, file: existing?.origin.file ?? join(options.outDir, `${out.key}.yaml`) };
  });

  // Nothing is written unless every file may be: no half-done pull.
  const owners = new Map(project.dashboards.map((d) => [resolve(d.origin.file), d.dashboard.key]));
  const conflicts: string[] = [];
  const present: string[] = [];
  for (const { key, file } of pulled) {
    const owner = owners.get(resolve(file));
    if (owner !== undefined && owner !== key) conflicts.push(`${file} holds dashboard ${owner}, not ${key}`);
    else if (await exists(file)) present.push(file);
  }
  if (conflicts.length > 0) {
    throw new MbSyncError('CONFIG_INVALID', `pull would write over another dashboard's file: ${conflicts.join('; ')}. Nothing was written.`, {
      hint: 'rename that file after the key it holds (or pull with --out another folder), then pull again',
    });
  }
  if (present.length > 0 && !options.force) {
    const described = present.map((file) => (owners.has(resolve(file)) ? `${file} (dashboard ${owners.get(resolve(file))!})` : file));
    throw new MbSyncError('CONFIG_INVALID', `pull would replace ${described.join(', ')}, which ${present.length === 1 ? 'exists' : 'exist'} already. Nothing was written.`, {
      hint: 'pull again with --force to replace it with what Metabase has (hand-written comments and formatting are not kept: commit first, then review with git diff)',
    });
  }

  await mkdir(options.outDir, { recursive: true });
  const result: PullResult = { files: [], replaced: present, skipped: [], collections: placer.toDeclare() };
  for (const { raw, key, document, skipped, file } of pulled) {
    const header = `# yaml-language-server: $schema=../schemas/dashboard.schema.json\n# Pulled from ${printableUrl(target.url)}/dashboard/${String(raw.id)} by mb-sync pull.\n`;
    await writeFile(file, header + toYaml(document));
    result.files.push(file);
    result.skipped.push(...skipped.map((s) => `${key}: ${s}`));
  }
  return result;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
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
