import { HttpError, invalid, nonBlank, ok, pick, type Request } from '../http.ts';
import { queryForRead } from '../mbql.ts';
import { notFound, type Route, type ServerContext } from '../router.ts';
import { nanoid, nextId, now, type FakeState, type Row } from '../state.ts';
import { presentInTrash, withArchivedDirectly } from '../trash.ts';

export const PARAMETER_TYPES = [
  'string/=', 'string/!=', 'string/contains', 'string/does-not-contain', 'string/starts-with', 'string/ends-with',
  'number/=', 'number/!=', 'number/between', 'number/>=', 'number/<=',
  'date/single', 'date/range', 'date/relative', 'date/month-year', 'date/quarter-year', 'date/all-options',
  'category', 'id', 'boolean/=', 'temporal-unit', 'number', 'text', 'date', 'boolean',
  'location/city', 'location/state', 'location/zip_code', 'location/country',
];
const DASHCARD_KEYS = ['id', 'card_id', 'dashboard_tab_id', 'row', 'col', 'size_x', 'size_y', 'parameter_mappings', 'visualization_settings', 'series', 'action_id', 'inline_parameters'];

export function dashboardRoutes(state: FakeState, ctx: ServerContext): Route[] {
  const find = (id: string): Row => {
    const d = /^\d+$/.test(id) ? state.dashboards.get(Number(id)) : [...state.dashboards.values()].find((x) => x.entity_id === id);
    if (!d) throw notFound(ctx);
    return d;
  };
  const validateParameters = (parameters: unknown) => {
    if (parameters === undefined) return;
    if (!Array.isArray(parameters)) throw invalid({ parameters: 'value must be an array.' });
    parameters.forEach((p: Record<string, unknown>, i) => {
      if (typeof p?.id !== 'string' || p.id.trim() === '') throw invalid({ [`parameters.${i}.id`]: 'value must be a non-blank string.' });
      if (!PARAMETER_TYPES.includes(p.type as string)) throw invalid({ [`parameters.${i}.type`]: `value must be one of: ${PARAMETER_TYPES.join(', ')}.` });
    });
  };
  // The collection it is in (hydrate-dashboard-details), the root's placeholder for none.
  const collectionOf = (d: Row) => {
    const c = d.collection_id == null ? undefined : state.collections.get(d.collection_id as number);
    return c ? { id: c.id, name: c.name, location: c.location, archived: c.archived } : { id: 'root', name: 'Our analytics' };
  };
  const hydrate = (d: Row, req?: Request) => ({
    ...d,
    collection: collectionOf(d),
    tabs: [...state.tabs.values()].filter((t) => t.dashboard_id === d.id).sort((a, b) => (a.position as number) - (b.position as number)),
    dashcards: [...state.dashcards.values()].filter((dc) => dc.dashboard_id === d.id).map((dc) => {
      const card = dc.card_id == null ? null : state.cards.get(dc.card_id as number);
      return { ...dc, card: card ? { ...card, dataset_query: queryForRead(card.dataset_query as Record<string, unknown>, ctx.major) } : { name: null, display: (dc.visualization_settings as Record<string, Record<string, unknown>>)?.virtual_card?.display ?? 'text', dataset_query: {}, visualization_settings: {} } };
    }),
    param_fields: {},
    can_write: true,
    ...(req ? {} : {}),
  });

  const replaceLayout = (d: Row, body: Record<string, unknown>) => {
    // Whole-array replace: a missing `tabs` counts as [] and deletes every tab and its cards.
    const sentTabs = (body.tabs ?? []) as Array<Record<string, unknown>>;
    const tabIds = new Map<number, number>();
    const keptTabs = new Set<number>();
    sentTabs.forEach((tab, position) => {
      const existing = state.tabs.get(tab.id as number);
      if (existing && existing.dashboard_id === d.id) {
        Object.assign(existing, { name: tab.name, position });
        keptTabs.add(existing.id);
        tabIds.set(existing.id, existing.id);
      } else {
        const row = { id: nextId(), dashboard_id: d.id, name: tab.name, position, entity_id: nanoid() };
        state.tabs.set(row.id, row);
        keptTabs.add(row.id);
        tabIds.set(tab.id as number, row.id);
      }
    });
    for (const tab of [...state.tabs.values()]) {
      if (tab.dashboard_id === d.id && !keptTabs.has(tab.id)) {
        state.tabs.delete(tab.id);
        for (const dc of [...state.dashcards.values()]) if (dc.dashboard_tab_id === tab.id) state.dashcards.delete(dc.id);
      }
    }
    const sent = body.dashcards as Array<Record<string, unknown>>;
    // Rules the request schema cannot say (dashboards_rest/api.clj): ids are unique within the
    // request, and a mapping names a parameter of the dashboard (sent in the same PUT, or stored).
    const parameterIds = new Set(((body.parameters ?? d.parameters ?? []) as Array<{ id: string }>).map((p) => p.id));
    const seenIds = new Set<unknown>();
    sent.forEach((dc, i) => {
      const errors: Record<string, string> = {};
      if (seenIds.has(dc.id)) errors[`dashcards.${i}.id`] = `duplicate dashcard id ${String(dc.id)}.`;
      seenIds.add(dc.id);
      ((dc.parameter_mappings ?? []) as Array<{ parameter_id?: string }>).forEach((m, j) => {
        if (!parameterIds.has(m.parameter_id as string)) errors[`dashcards.${i}.parameter_mappings.${j}.parameter_id`] = `the dashboard has no parameter "${String(m.parameter_id)}".`;
      });
      if (typeof dc.id !== 'number') errors[`dashcards.${i}.id`] = 'value must be an integer.';
      for (const k of ['size_x', 'size_y']) if (!Number.isInteger(dc[k]) || (dc[k] as number) < 1) errors[`dashcards.${i}.${k}`] = 'value must be an integer greater than zero.';
      for (const k of ['row', 'col']) if (!Number.isInteger(dc[k]) || (dc[k] as number) < 0) errors[`dashcards.${i}.${k}`] = 'value must be an integer greater or equal to zero.';
      if (Number.isInteger(dc.col) && Number.isInteger(dc.size_x) && (dc.col as number) + (dc.size_x as number) > 24) errors[`dashcards.${i}.col`] = 'col + size_x must be at most 24.';
      if (dc.card_id != null && !state.cards.has(dc.card_id as number)) errors[`dashcards.${i}.card_id`] = 'card does not exist.';
      if (Object.keys(errors).length) throw invalid(errors);
      if (keptTabs.size >= 2 && dc.dashboard_tab_id == null) throw new HttpError({ status: 400, json: { message: 'This dashboard has tabs, every dashcard needs a dashboard_tab_id.' } });
      if (dc.dashboard_tab_id != null && !tabIds.has(dc.dashboard_tab_id as number)) throw new HttpError({ status: 400, json: { message: `Unknown dashboard_tab_id ${String(dc.dashboard_tab_id)}.` } });
    });
    const onlyTab = keptTabs.size === 1 ? [...keptTabs][0]! : null;
    const keptCards = new Set<number>();
    for (const dc of sent) {
      const fields = pick(dc, DASHCARD_KEYS);
      const tabId = dc.dashboard_tab_id == null ? onlyTab : tabIds.get(dc.dashboard_tab_id as number)!;
      const existing = state.dashcards.get(dc.id as number);
      const values = { ...fields, dashboard_tab_id: tabId, parameter_mappings: dc.parameter_mappings ?? [], visualization_settings: dc.visualization_settings ?? {}, series: dc.series ?? [], updated_at: now() };
      if (existing && existing.dashboard_id === d.id) {
        Object.assign(existing, values, { id: existing.id });
        keptCards.add(existing.id);
      } else {
        const row: Row = { ...values, id: nextId(), entity_id: nanoid(), dashboard_id: d.id, card_id: dc.card_id ?? null, action_id: null, inline_parameters: dc.inline_parameters ?? [], created_at: now() };
        state.dashcards.set(row.id, row);
        keptCards.add(row.id);
      }
    }
    for (const dc of [...state.dashcards.values()]) if (dc.dashboard_id === d.id && !keptCards.has(dc.id)) state.dashcards.delete(dc.id);
  };

  return [
    ['POST', /^\/api\/dashboard$/, (req) => {
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'name', errors);
      if (req.body.collection_id != null && !state.collections.has(req.body.collection_id as number)) errors.collection_id = 'collection does not exist.';
      if (Object.keys(errors).length) throw invalid(errors);
      validateParameters(req.body.parameters);
      // Create takes no dashcards or tabs: they come with a PUT.
      const d: Row = {
        id: nextId(), entity_id: nanoid(), ...pick(req.body, ['name', 'description', 'parameters', 'collection_id', 'collection_position', 'cache_ttl']),
        description: req.body.description ?? null, parameters: req.body.parameters ?? [], collection_id: req.body.collection_id ?? null,
        archived: false, archived_directly: false, width: 'fixed', auto_apply_filters: true, caveats: null, points_of_interest: null, creator_id: req.userId, created_at: now(), updated_at: now(),
      };
      state.dashboards.set(d.id, d);
      return ok(hydrate(d));
    }],
    // get-dashboard* (dashboards_rest/api.clj): one archived on its own reads as being in the Trash.
    ['GET', /^\/api\/dashboard\/(\d+|[A-Za-z0-9_-]{21})$/, (req) => ok(presentInTrash(hydrate(find(req.params[0]!), req), state.trash))],
    ['PUT', /^\/api\/dashboard\/(\d+)$/, (req) => {
      const d = find(req.params[0]!);
      const errors: Record<string, string> = {};
      if (req.body.name !== undefined) nonBlank(req.body, 'name', errors);
      if (req.body.width !== undefined && !['fixed', 'full'].includes(req.body.width as string)) errors.width = 'value must be one of: "fixed", "full".';
      if (req.body.collection_id != null && !state.collections.has(req.body.collection_id as number)) errors.collection_id = 'collection does not exist.';
      if (Object.keys(errors).length) throw invalid(errors);
      validateParameters(req.body.parameters);
      if (req.body.dashcards !== undefined) {
        if (!Array.isArray(req.body.dashcards)) throw invalid({ dashcards: 'value must be an array.' });
        replaceLayout(d, req.body);
      }
      const updates = withArchivedDirectly(d, req.body);
      Object.assign(d, pick(updates, ['name', 'description', 'parameters', 'collection_id', 'collection_position', 'archived', 'archived_directly', 'width', 'auto_apply_filters', 'cache_ttl', 'caveats', 'points_of_interest', 'position']), { updated_at: now() });
      // After every dashboard update, its subscriptions take its name and collection
      // (update-dashboard-subscription-pulses!, pulse/dashboard_subscription.clj).
      for (const pulse of state.pulses.values()) if (pulse.dashboard_id === d.id) Object.assign(pulse, { name: d.name, collection_id: d.collection_id });
      return ok(hydrate(d));
    }],
  ];
}
