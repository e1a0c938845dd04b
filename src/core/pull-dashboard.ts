import { flatten } from '../config/check-project.ts';
import type { ProjectConfigT } from '../config/schema/project.ts';
import { decompileQuery } from './decompile-query.ts';
import type { RefIndex } from './refs.ts';

/** A key people can read, from a name: "Dépenses par module" → "depenses-par-module". */
export function slugify(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug || 'item';
}

export interface PulledDashboard {
  key: string;
  document: Record<string, unknown>;
  skipped: string[];
}

/**
 * A live dashboard (GET /api/dashboard/:id, cards hydrated) as the YAML mb-sync reads: names
 * instead of ids, inline cards that keep their entity_id, filters that keep their ids.
 */
export function pullDashboard(raw: Record<string, unknown>, refs: RefIndex, config: Pick<ProjectConfigT, 'collections'>, usedKeys: Set<string>): PulledDashboard {
  const unique = (base: string) => {
    let key = base;
    for (let i = 2; usedKeys.has(key); i++) key = `${base}-${i}`;
    usedKeys.add(key);
    return key;
  };
  const collections = flatten(config.collections);
  const collection = collections.find((c) => refs.id('collection', c.key) === raw.collection_id)?.key ?? slugify(String(raw.collection_name ?? 'collection'));
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
    const key = unique(slugify(String(card.name)));
    refs.set('card', key, dc.card_id as number);
    const source = decompiled.kind === 'query' ? decompiled.query.source : '';
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
    const entry: Record<string, unknown> = { key, name: card.name, entity_id: card.entity_id };
    const cardCollection = collections.find((c) => refs.id('collection', c.key) === card.collection_id)?.key;
    if (cardCollection && cardCollection !== collection) entry.collection = cardCollection;
    if (card.description) entry.description = card.description;
    entry.display = card.display;
    if (card.type === 'model') entry.type = 'model';
    if (decompiled.kind === 'query') entry.query = decompiled.query;
    else {
      entry.sql = decompiled.sql;
      if (Object.keys(decompiled.params).length) entry.params = decompiled.params;
    }
    const vis = (card.visualization_settings ?? {}) as Record<string, unknown>;
    if (Object.keys(vis).length) entry.visualization = vis;
    if (Object.keys(mappings).length) entry.filters = mappings;
    if (Object.keys(settings).length) entry.settings = settings;
    entry.layout = layout;
    Object.assign(entry, tab);
    return [entry];
  });

  const key = unique(slugify(String(raw.name)));
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
