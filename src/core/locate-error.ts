import type { Origin } from './project.ts';

/**
 * The YAML path a request-body path came from: the longest known prefix, with the index that
 * follows a list kept (`dataset_query.stages.0.order-by.0.2` → `query.order_by[0]`).
 */
export function locateSource(sources: Record<string, string>, path: ReadonlyArray<string | number>): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const yaml = sources[path.slice(0, n).join('.')];
    if (yaml === undefined) continue;
    const next = path[n];
    return typeof next === 'number' && /(aggregate|breakout|filter|order_by|fields)$/.test(yaml) ? `${yaml}[${next}]` : yaml;
  }
  return undefined;
}

/**
 * Metabase's per-key complaints about a request, each pointed at the file, line and path of the
 * YAML that produced it: `dashboards/energie.yaml:42: cards[spend-by-module].query.order_by[0]: …`.
 */
export function locateServerErrors(
  leaves: ReadonlyArray<{ path: ReadonlyArray<string | number>; messages: string[] }>,
  object: { key: string; sources?: Record<string, string>; origin?: Origin },
): string[] {
  const { origin, sources } = object;
  if (origin === undefined || sources === undefined) return [];
  return leaves.map((leaf) => {
    const inner = locateSource(sources, leaf.path);
    const line = (inner === undefined ? undefined : origin.lines?.[inner] ?? nearestLine(origin.lines, inner)) ?? origin.line;
    const owner = origin.path.startsWith('cards[') ? `cards[${object.key}]` : '';
    const where = [owner, inner].filter(Boolean).join('.') || '(root)';
    return `${origin.file}${line === undefined ? '' : `:${line}`}: ${where}: ${leaf.messages.join('; ')} (request: ${leaf.path.join('.')})`;
  });
}

/** `query.order_by[0]` has no line of its own when written inline: take its parent's. */
function nearestLine(lines: Record<string, number> | undefined, path: string): number | undefined {
  let current = path;
  while (lines && current) {
    if (lines[current] !== undefined) return lines[current];
    const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
    if (cut <= 0) break;
    current = current.slice(0, cut);
  }
  return undefined;
}
