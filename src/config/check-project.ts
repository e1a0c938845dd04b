import type { ConfigIssue } from '../core/errors.ts';
import type { Project } from '../core/project.ts';
import { didYouMean } from '../core/suggest.ts';
import { checkLayout } from '../core/check-layout.ts';
import { templateTags } from '../core/native-query.ts';
import { flatten } from '../core/collections.ts';
import { formatPath, parsePath } from '../core/value-path.ts';

type LineOf = (file: string, path: Array<string | number>) => number | undefined;

/** The rules between files: every name one file uses must be declared somewhere. */
export function checkProject(project: Project, lineOf: LineOf): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cfg = project.config;
  const configFile = project.configFile;
  const at = (file: string, path: Array<string | number>, message: string) =>
    issues.push({ file, path: formatPath(path), line: lineOf(file, path), message });

  const collections = flatten(cfg.collections).map((c) => c.key);
  const groups = cfg.groups.map((g) => g.key);
  const lists = Object.keys(cfg.recipients);
  const cardKeys = [...project.cards.keys()];
  const known = (what: string, name: string, candidates: string[]) => `unknown ${what} "${name}"${didYouMean(name, candidates)}`;

  const checkRecipients = (file: string, path: Array<string | number>, recipients: string[]) =>
    recipients.forEach((r, i) => {
      if (r.startsWith('group:') && !groups.includes(r.slice(6))) at(file, [...path, i], known('group', r.slice(6), groups));
      if (r.startsWith('list:') && !lists.includes(r.slice(5))) at(file, [...path, i], known('recipient list', r.slice(5), lists));
    });

  if (new Set(collections).size !== collections.length) at(configFile, ['collections'], 'collection keys must be unique');
  // Metabase must connect as the role `db apply` makes read-only, or the proof means nothing.
  if (cfg.postgres.readonly_role !== undefined && cfg.database.user !== cfg.postgres.readonly_role) {
    at(configFile, ['database', 'user'], `Metabase connects as "${cfg.database.user}", but the read-only role db apply manages is postgres.readonly_role "${cfg.postgres.readonly_role}": make them the same`);
  }
  cfg.permissions.forEach((p, i) => {
    if (!groups.includes(p.group)) at(configFile, ['permissions', i, 'group'], known('group', p.group, groups));
    if (!collections.includes(p.collection)) at(configFile, ['permissions', i, 'collection'], known('collection', p.collection, collections));
  });
  Object.entries(cfg.recipients).forEach(([name, list]) => checkRecipients(configFile, ['recipients', name], list));
  cfg.alerts.forEach((alert, i) => {
    if (!project.cards.has(alert.card)) at(configFile, ['alerts', i, 'card'], known('card', alert.card, cardKeys));
    checkRecipients(configFile, ['alerts', i, 'to'], alert.to);
  });

  const collectionSet = new Set(collections);
  for (const { card, collection, origin } of project.cards.values()) {
    // The card's own path, parsed only when there is something to say about it.
    const base = (): Array<string | number> => (origin.path === '' ? [] : parsePath(origin.path));
    // A card that names none has its dashboard's, reported once at the dashboard's own line.
    if ((collection === '' || !collectionSet.has(collection)) && (card.collection !== undefined || collection === '')) at(origin.file, [...base(), 'collection'], known('collection', collection || '(none)', collections));
    // Inline dashboard cards are read by another schema than models/ files: the rule is checked here for all.
    if ((card.query === undefined) === (card.sql === undefined) && origin.path !== '') at(origin.file, base(), 'a card needs exactly one of `query` (query builder) or `sql` (native)');
    if (card.query !== undefined) {
      const sources: Array<[string | undefined, Array<string | number>]> = [[card.query.source, ['query', 'source']], ...(card.query.join ?? []).map((j, i): [string, Array<string | number>] => [j.source, ['query', 'join', i, 'source']])];
      for (const [source, path] of sources) {
        if (!source || !/^(model|card):/.test(source)) continue;
        const key = source.slice(source.indexOf(':') + 1);
        if (!project.cards.has(key)) at(origin.file, [...base(), ...path], known('card', key, cardKeys));
      }
    }
    if (card.sql !== undefined) {
      const used = templateTags(card.sql);
      const declared = Object.keys(card.params ?? {});
      for (const tag of used) if (!declared.includes(tag)) at(origin.file, [...base(), 'sql'], `{{${tag}}} has no entry in params${didYouMean(tag, declared)}`);
      for (const name of declared) {
        if (!used.includes(name)) at(origin.file, [...base(), 'params', name], `param "${name}" is not used as {{${name}}} in the SQL`);
        const param = card.params![name]!;
        if (param.type === 'dimension' && !param.field) at(origin.file, [...base(), 'params', name], 'a field filter (type dimension) needs `field: schema.table.column`');
      }
    }
  }

  // A model built on itself, directly or through others, has no query Metabase could run.
  const sourcesOf = (key: string): string[] => {
    const query = project.cards.get(key)?.card.query;
    if (query === undefined) return [];
    return [query.source, ...(query.join ?? []).map((j) => j.source)].filter((s): s is string => s !== undefined && /^(model|card):/.test(s)).map((s) => s.slice(s.indexOf(':') + 1));
  };
  const reported = new Set<string>();
  // Cards from which no circle can be reached (explored to the end): not walked again.
  const acyclic = new Set<string>();
  for (const start of project.cards.keys()) {
    const path: string[] = [];
    const visit = (key: string): string[] | undefined => {
      if (acyclic.has(key)) return undefined;
      if (path.includes(key)) return [...path.slice(path.indexOf(key)), key];
      path.push(key);
      for (const next of sourcesOf(key)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
      path.pop();
      acyclic.add(key);
      return undefined;
    };
    const cycle = visit(start);
    if (!cycle || reported.has(cycle[0]!)) continue;
    for (const key of cycle.slice(0, -1)) reported.add(key);
    const entry = project.cards.get(cycle[0]!)!;
    const base = entry.origin.path === '' ? [] : parsePath(entry.origin.path);
    at(entry.origin.file, [...base, 'query', 'source'], cycle.length === 2 ? `card ${cycle[0]} is built on itself` : `models built on each other in a circle: ${cycle.join(' → ')}`);
  }

  const names = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const { dashboard, origin } of project.dashboards) {
    const file = origin.file;
    if (keys.has(dashboard.key)) at(file, ['key'], `dashboard key "${dashboard.key}" is also used in ${keys.get(dashboard.key)}`);
    if (names.has(dashboard.name)) at(file, ['name'], `dashboard name "${dashboard.name}" is also used in ${names.get(dashboard.name)}`);
    keys.set(dashboard.key, file);
    names.set(dashboard.name, file);
    if (!collections.includes(dashboard.collection)) at(file, ['collection'], known('collection', dashboard.collection, collections));
    const filterKeys = dashboard.filters.map((f) => f.key);
    if (new Set(filterKeys).size !== filterKeys.length) at(file, ['filters'], 'filter keys must be unique');
    const tabKeys = dashboard.tabs.map((t) => t.key);
    dashboard.cards.forEach((placed, i) => {
      if ('card' in placed && !project.cards.has(placed.card)) at(file, ['cards', i, 'card'], known('card', placed.card, cardKeys));
      if (tabKeys.length > 0 && placed.tab === undefined) at(file, ['cards', i], `the dashboard has tabs: say which one with tab: (${tabKeys.join(', ')})`);
      if (placed.tab !== undefined && !tabKeys.includes(placed.tab)) at(file, ['cards', i, 'tab'], known('tab', placed.tab, tabKeys));
      const filters = 'filters' in placed ? placed.filters : undefined;
      for (const key of Object.keys(filters ?? {})) {
        if (!filterKeys.includes(key)) at(file, ['cards', i, 'filters', key], known('dashboard filter', key, filterKeys));
      }
    });
    for (const problem of checkLayout(dashboard)) at(file, ['cards', problem.index, 'layout'], problem.message);
    dashboard.subscriptions.forEach((s, i) => {
      checkRecipients(file, ['subscriptions', i, 'to'], s.to);
      for (const key of Object.keys(s.filters ?? {})) if (!filterKeys.includes(key)) at(file, ['subscriptions', i, 'filters', key], known('dashboard filter', key, filterKeys));
    });
  }
  return issues;
}
