import type { DashboardFilterT, DashcardT } from '../model/dashboard.ts';
import type { Project, ProjectDashboard } from './project.ts';
import { isRef, ref, type Ref, type RefIndex } from './refs.ts';

export interface ParameterBody {
  id: string;
  name: string;
  slug: string;
  type: string;
  sectionId: string;
  default?: unknown;
  required?: boolean;
  isMultiSelect?: boolean;
  values_source_type?: string;
  values_source_config?: unknown;
}
export interface DashcardBody {
  card: Ref | null;
  tab: number | null;
  row: number;
  col: number;
  size_x: number;
  size_y: number;
  visualization_settings: Record<string, unknown>;
  parameter_mappings: Array<{ parameter_id: string; card: Ref | null; target: unknown }>;
}
export interface DashboardBody {
  name: string;
  description: string | null;
  collection: Ref | null;
  width: string;
  auto_apply_filters: boolean;
  parameters: ParameterBody[];
  tabs: Array<{ name: string }>;
  dashcards: DashcardBody[];
}

/**
 * Written in `caveats` on every write: finds the dashboard again after a rename, and warns people
 * editing it. A dashboard adopted by name (onboarding) is planned as an update that writes it
 * (src/resources/dashboard.ts `identity`).
 */
export function managedMarker(project: string, key: string): string {
  return `mb-sync: managed by ${project}/${key}. Changes made in Metabase are overwritten by the next apply.`;
}
export function parseMarker(caveats: unknown): { project: string; key: string } | undefined {
  const match = typeof caveats === 'string' ? /mb-sync: managed by ([^/\s]+)\/([^\s.]+)/.exec(caveats) : null;
  return match ? { project: match[1]!, key: match[2]! } : undefined;
}

const PARAMETER_KEYS = ['id', 'name', 'slug', 'type', 'sectionId', 'default', 'required', 'isMultiSelect', 'values_source_type', 'values_source_config'] as const;

function sectionOf(type: string): string {
  const prefix = type.split('/')[0]!;
  return prefix === 'category' ? 'string' : prefix;
}

function parameter(filter: DashboardFilterT): ParameterBody {
  const p: ParameterBody = { id: filter.key, name: filter.name, slug: filter.slug ?? filter.key, type: filter.type, sectionId: sectionOf(filter.type) };
  if (filter.default !== undefined) p.default = filter.default;
  if (filter.required) p.required = true;
  if (filter.multiple !== undefined) p.isMultiSelect = filter.multiple;
  if (filter.values) {
    p.values_source_type = 'static-list';
    p.values_source_config = { values: filter.values };
  }
  return p;
}

function virtualCard(display: 'text' | 'heading', text: string): Record<string, unknown> {
  return { virtual_card: { name: null, display, visualization_settings: {}, dataset_query: {}, archived: false }, text };
}

export function desiredDashboardBody(project: Project, entry: ProjectDashboard): DashboardBody {
  const { dashboard } = entry;
  const tabIndex = (key: string | undefined) => (key === undefined ? null : dashboard.tabs.findIndex((t) => t.key === key));
  const dashcards = dashboard.cards.map((placed: DashcardT): DashcardBody => {
    const base = { tab: tabIndex(placed.tab), row: placed.layout.row, col: placed.layout.col, size_x: placed.layout.width, size_y: placed.layout.height };
    if ('heading' in placed) return { ...base, card: null, visualization_settings: virtualCard('heading', placed.heading), parameter_mappings: [] };
    if ('text' in placed) {
      const mappings = Object.entries(placed.filters ?? {}).map(([parameter_id, tag]) => ({ parameter_id, card: null, target: ['text-tag', tag] }));
      return { ...base, card: null, visualization_settings: virtualCard('text', placed.text), parameter_mappings: mappings };
    }
    const key = 'key' in placed ? placed.key : placed.card;
    const card = project.cards.get(key)!.card;
    const mappings = Object.entries(placed.filters ?? {}).map(([parameter_id, target]) => ({
      parameter_id,
      card: ref('card', key),
      target: card.sql !== undefined
        ? [card.params?.[target]?.type === 'dimension' || card.params?.[target]?.type === undefined ? 'dimension' : 'variable', ['template-tag', target]]
        : ['dimension', fieldTarget(card.query!.source, target)],
    }));
    return { ...base, card: ref('card', key), visualization_settings: placed.settings ?? {}, parameter_mappings: mappings };
  });
  return {
    name: dashboard.name,
    description: dashboard.description ?? null,
    collection: ref('collection', dashboard.collection),
    width: dashboard.width,
    auto_apply_filters: dashboard.auto_apply_filters,
    parameters: dashboard.filters.map(parameter),
    tabs: dashboard.tabs.map((t) => ({ name: t.name })),
    dashcards: sortDashcards(dashcards),
  };
}

function fieldTarget(source: string, column: string): unknown[] {
  if (column.split('.').length === 3) return ['field', ref('field', column), null];
  if (/^(model|card):/.test(source)) return ['field', column, { 'base-type': 'type/*' }];
  return ['field', ref('field', `${source}.${column}`), null];
}

export function sortDashcards(dashcards: DashcardBody[]): DashcardBody[] {
  return [...dashcards].sort((a, b) => (a.tab ?? -1) - (b.tab ?? -1) || a.row - b.row || a.col - b.col);
}

/** A dashboard as Metabase returns it, in the desired form. */
export function normalizeDashboard(raw: Record<string, unknown>, refs: RefIndex): DashboardBody {
  const tabs = ((raw.tabs ?? []) as Array<Record<string, unknown>>).slice().sort((a, b) => (a.position as number) - (b.position as number));
  const tabIndex = (id: unknown) => (id == null || tabs.length === 0 ? null : tabs.findIndex((t) => t.id === id));
  const dashcards = ((raw.dashcards ?? []) as Array<Record<string, unknown>>).map((dc): DashcardBody => {
    const settings = (dc.visualization_settings ?? {}) as Record<string, unknown>;
    const virtual = settings.virtual_card as { display?: string } | undefined;
    return {
      card: dc.card_id == null ? null : refs.toRef('card', dc.card_id as number),
      tab: tabIndex(dc.dashboard_tab_id),
      row: dc.row as number,
      col: dc.col as number,
      size_x: dc.size_x as number,
      size_y: dc.size_y as number,
      visualization_settings: dc.card_id == null && virtual ? virtualCard(virtual.display === 'heading' ? 'heading' : 'text', String(settings.text ?? '')) : settings,
      parameter_mappings: ((dc.parameter_mappings ?? []) as Array<Record<string, unknown>>).map((m) => ({
        parameter_id: m.parameter_id as string,
        card: m.card_id == null ? null : refs.toRef('card', m.card_id as number),
        target: normalizeTarget(m.target, refs),
      })),
    };
  });
  return {
    name: raw.name as string,
    description: (raw.description as string | null) ?? null,
    collection: refs.toRef('collection', raw.collection_id as number | null),
    width: (raw.width as string) ?? 'fixed',
    auto_apply_filters: (raw.auto_apply_filters as boolean) ?? true,
    parameters: ((raw.parameters ?? []) as Array<Record<string, unknown>>).map((p) => {
      const out: Record<string, unknown> = {};
      for (const key of PARAMETER_KEYS) if (p[key] !== undefined && p[key] !== null && !(key === 'required' && p[key] === false)) out[key] = p[key];
      return out as unknown as ParameterBody;
    }),
    tabs: tabs.map((t) => ({ name: t.name as string })),
    dashcards: sortDashcards(dashcards),
  };
}

/** Mapping targets are legacy-style refs in every version: ids → refs, options and stage dropped. */
export function normalizeTarget(target: unknown, refs?: RefIndex): unknown {
  if (!Array.isArray(target)) return target;
  const [kind, inner] = target as [string, unknown];
  if (kind === 'dimension' && Array.isArray(inner) && inner[0] === 'field') {
    const id = inner[1];
    const field = typeof id === 'number' && refs ? refs.toRef('field', id) : isRef(id) ? id : id;
    const options = typeof id === 'string' ? inner[2] ?? null : null;
    return ['dimension', ['field', field, options === null ? null : { 'base-type': 'type/*' }]];
  }
  if (kind === 'dimension' || kind === 'variable') return [kind, inner];
  return target;
}
