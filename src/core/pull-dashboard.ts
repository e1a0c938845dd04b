import type { ProjectConfigT } from '../model/project.ts';
import { classifyCards, withoutMarker, type MarkedCard } from './card-marker.ts';
import { parseMarker } from './dashboard-body.ts';
import { decompileQuery } from './decompile-query.ts';
import { readPulseMarker } from './pulse-marker.ts';
import type { RefIndex } from './refs.ts';

/** A key people can read, from a name: "Dépenses par module" → "depenses-par-module". */
export function slugify(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug || 'item';
}

/** `base`, or `base-2`, `base-3`… the first not in `taken`, which then holds it. */
export function freeKey(base: string, taken: Set<string>): string {
  let key = base;
  for (let i = 2; taken.has(key); i++) key = `${base}-${i}`;
  taken.add(key);
  return key;
}

export interface PulledDashboard {
  key: string;
  document: Record<string, unknown>;
  skipped: string[];
}

export interface PullContext {
  refs: RefIndex;
  config: Pick<ProjectConfigT, 'project'>;
  /** Keys taken so far (cards, dashboards, tabs): a new one never repeats them. */
  usedKeys: Set<string>;
  /** Cards written already (models/, the config, another pulled dashboard): placed by key. */
  definedCards?: Set<string>;
  /** The dashboard's collection, as the files key it. */
  collection: string;
  /** A card's collection as the files key it; undefined where they cannot say it (it then goes with the dashboard). */
  collectionOf: (id: unknown) => string | undefined;
  /** The key the project already gives this dashboard (a file found for it). */
  key?: string;
  /** Whether a live card is another mb-sync project's own (by its marker, not a copy of one). */
  ownedElsewhere?: (card: Record<string, unknown>) => boolean;
  /** Hand-made cards the project already defines (adopted by entity_id): entity_id → key. */
  adoptedCards?: Map<string, string>;
}

/**
 * A live dashboard (GET /api/dashboard/:id, cards hydrated) as the YAML mb-sync reads: names
 * instead of ids, filters that keep their ids. What this project already manages keeps its own key
 * (the dashboard's caveats marker, each card's marker, a hand-made card's entity_id), so pull → plan
 * finds the same objects; a hand-made card keeps its entity_id, which adopts it.
 */
export function pullDashboard(raw: Record<string, unknown>, ctx: PullContext): PulledDashboard {
  const { refs, config, usedKeys, collection } = ctx;
  const definedCards = ctx.definedCards ?? new Set<string>();
  const unique = (base: string) => freeKey(base, usedKeys);
  const tabs = ((raw.tabs ?? []) as Array<Record<string, unknown>>).sort((a, b) => (a.position as number) - (b.position as number));
  const tabKeys = new Map(tabs.map((t) => [t.id, unique(slugify(String(t.name)))]));
  const skipped: string[] = [];
  const parameters = (raw.parameters ?? []) as Array<Record<string, unknown>>;
  const filters = parameters.map((p) => {
    const filter: Record<string, unknown> = { key: String(p.id), name: p.name, type: p.type };
    if (p.slug && p.slug !== p.id) filter.slug = p.slug;
    if (p.default !== undefined && p.default !== null) filter.default = p.default;
    if (p.required) filter.required = true;
    if (p.isMultiSelect !== undefined) filter.multiple = p.isMultiSelect;
    const values = (p.values_source_config as { values?: unknown[] } | undefined)?.values;
    if (p.values_source_type === 'static-list' && values) filter.values = values;
    return filter;
  });

  const dashcards = ((raw.dashcards ?? []) as Array<Record<string, unknown>>).sort((a, b) => (a.row as number) - (b.row as number) || (a.col as number) - (b.col as number));
  // A copy made in Metabase carries the original's marker: told apart among the dashboard's cards.
  const identities = classifyCards(config.project, dashcards.flatMap((dc) => (dc.card && typeof (dc.card as { id?: unknown }).id === 'number' ? [dc.card as unknown as MarkedCard] : [])));
  const cards = dashcards.flatMap((dc) => {
    const layout = { row: dc.row, col: dc.col, width: dc.size_x, height: dc.size_y };
    const tab = dc.dashboard_tab_id == null || tabs.length === 0 ? {} : { tab: tabKeys.get(dc.dashboard_tab_id) };
    const settings = (dc.visualization_settings ?? {}) as Record<string, unknown>;
    if (dc.card_id == null) {
      const display = (settings.virtual_card as { display?: string } | undefined)?.display;
      if (display === 'heading') return [{ heading: String(settings.text ?? ''), layout, ...tab }];
      if (display === 'text') {
        const mappings = Object.fromEntries(((dc.parameter_mappings ?? []) as Array<Record<string, unknown>>).map((m) => [m.parameter_id, (m.target as unknown[])[1]]));
        return [{ text: String(settings.text ?? ''), ...(Object.keys(mappings).length ? { filters: mappings } : {}), layout, ...tab }];
      }
      skipped.push(`a ${display ?? 'virtual'} card at row ${String(dc.row)}, col ${String(dc.col)}`);
      return [];
    }
    const card = (dc.card ?? {}) as Record<string, unknown>;
    const decompiled = decompileQuery((card.dataset_query ?? {}) as Record<string, unknown>, refs);
    if (decompiled.kind === 'unsupported') {
      skipped.push(`card "${String(card.name)}": ${decompiled.reason}`);
      return [];
    }
    const { state, key: markedKey } = identities.get(card as unknown as MarkedCard) ?? { state: 'foreign' };
    const managed = (state === 'recorded' || state === 'unrecorded') && markedKey !== undefined;
    const adoptedKey = managed ? undefined : ctx.adoptedCards?.get(String(card.entity_id));
    const key = managed ? markedKey : (adoptedKey ?? unique(slugify(String(card.name))));
    usedKeys.add(key);
    refs.set('card', key, dc.card_id as number);
    const source = decompiled.kind === 'query' ? decompiled.query.source : '';
    const placement = (filters: Record<string, string>) => ({ ...(Object.keys(filters).length ? { filters } : {}), ...(Object.keys(settings).length ? { settings } : {}), layout, ...tab });
    const mappings: Record<string, string> = {};
    for (const m of (dc.parameter_mappings ?? []) as Array<Record<string, unknown>>) {
      const target = m.target as unknown[];
      const inner = target[1] as unknown[];
      if (inner[0] === 'template-tag') mappings[String(m.parameter_id)] = String(inner[1]);
      else if (inner[0] === 'field') {
        const name = typeof inner[1] === 'number' ? refs.name('field', inner[1]) : String(inner[1]);
        if (name) mappings[String(m.parameter_id)] = name.startsWith(`${source}.`) ? name.slice(source.length + 1) : name;
      }
    }
    // A card the project already writes elsewhere (models/, the config, another pulled dashboard) is placed by key.
    if ((managed || adoptedKey !== undefined) && definedCards.has(key)) return [{ card: key, ...placement(mappings) }];
    definedCards.add(key);
    // Another mb-sync project's own card is not pinned (that project keeps it; this one gets a card of its own).
    const othersOwn = !managed && ctx.ownedElsewhere?.(card) === true;
    const entry: Record<string, unknown> = { key, name: card.name, ...(managed || othersOwn ? {} : { entity_id: card.entity_id }) };
    // A card of its own is made in the dashboard's collection, not in the other project's.
    const cardCollection = othersOwn ? undefined : ctx.collectionOf(card.collection_id);
    if (cardCollection && cardCollection !== collection) entry.collection = cardCollection;
    if (card.description) entry.description = card.description;
    entry.display = card.display;
    if (card.type === 'model') entry.type = 'model';
    if (decompiled.kind === 'query') entry.query = decompiled.query;
    else {
      entry.sql = decompiled.sql;
      if (Object.keys(decompiled.params).length) entry.params = decompiled.params;
    }
    const vis = withoutMarker(card.visualization_settings as Record<string, unknown> | undefined);
    if (Object.keys(vis).length) entry.visualization = vis;
    if (Object.keys(mappings).length) entry.filters = mappings;
    if (Object.keys(settings).length) entry.settings = settings;
    entry.layout = layout;
    Object.assign(entry, tab);
    return [entry];
  });

  const marker = parseMarker(raw.caveats);
  const key = ctx.key ?? (marker?.project === config.project ? marker.key : unique(slugify(String(raw.name))));
  usedKeys.add(key);
  const document: Record<string, unknown> = { key, name: raw.name };
  if (raw.description) document.description = raw.description;
  document.collection = collection;
  if (raw.width && raw.width !== 'fixed') document.width = raw.width;
  if (raw.auto_apply_filters === false) document.auto_apply_filters = false;
  if (filters.length) document.filters = filters;
  if (tabs.length) document.tabs = tabs.map((t) => ({ key: tabKeys.get(t.id), name: t.name }));
  document.cards = cards;
  return { key, document, skipped };
}

/** The project's own subscriptions of a dashboard (GET /api/pulse?dashboard_id=…) as YAML entries. */
export function pullSubscriptions(pulses: Array<Record<string, unknown>>, dashboardKey: string, project: string): Array<Record<string, unknown>> {
  return pulses.flatMap((pulse) => {
    const marker = readPulseMarker(pulse as { channels?: Array<Record<string, unknown>> });
    if (marker?.project !== project || pulse.archived === true) return [];
    const channel = ((pulse.channels ?? []) as Array<Record<string, unknown>>).find((c) => c.channel_type === 'email') ?? {};
    const hour = channel.schedule_hour ?? 8;
    const schedule = channel.schedule_type === 'hourly' ? { every: 'hour' }
      : channel.schedule_type === 'daily' ? { every: 'day', hour }
        : channel.schedule_type === 'weekly' ? { every: 'week', day: channel.schedule_day ?? 'mon', hour }
          : { every: 'month', frame: channel.schedule_frame ?? 'first', hour };
    const to = [...new Set(((channel.recipients ?? []) as Array<{ email?: string }>).map((r) => (r.email ?? '').toLowerCase()).filter(Boolean))].sort();
    const entry: Record<string, unknown> = { key: marker.key.startsWith(`${dashboardKey}/`) ? marker.key.slice(dashboardKey.length + 1) : marker.key, schedule, to };
    if (pulse.skip_if_empty === true) entry.skip_if_empty = true;
    if (((pulse.cards ?? []) as Array<{ include_csv?: boolean }>)[0]?.include_csv === true) entry.attach_csv = true;
    const filters = Object.fromEntries(((pulse.parameters ?? []) as Array<{ id: string; value: unknown }>).map((p) => [p.id, p.value]));
    if (Object.keys(filters).length > 0) entry.filters = filters;
    return [entry];
  });
}
