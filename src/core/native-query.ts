import type { NativeParamT } from '../model/card.ts';
import { ref } from './refs.ts';
import { stableUuid } from './stable-uuid.ts';

/** `{{name}}` variables of a native query, in order of first use; `{{#42}}` card refs and snippets excluded. */
export function templateTags(sql: string): string[] {
  const names = [...sql.matchAll(/\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g)].map((m) => m[1]!);
  return [...new Set(names)];
}

export interface NativeCompileInput {
  project: string;
  cardKey: string;
  database: string;
  sql: string;
  params: Record<string, NativeParamT>;
  /** False for the compare form: tag ids and the dimension's uuid are left out (normalisation drops them). */
  uuids?: boolean;
}

/**
 * A native card as MBQL 5 (what 0.57+ stores), in the wire form. Every tag carries an `id`: Metabase
 * builds the card's `parameters` from it (`queries/api/card.clj`), and dashboard filters reach the
 * tag through those. The ids are derived from (project, card, tag) so they stay stable across applies.
 */
export function compileNativeQuery(input: NativeCompileInput): Record<string, unknown> {
  const tags: Record<string, unknown> = {};
  const uuids = input.uuids !== false;
  for (const name of templateTags(input.sql)) {
    const param = input.params[name] ?? { type: 'text' as const };
    const tag: Record<string, unknown> = {
      ...(uuids ? { id: stableUuid(input.project, 'template-tag', input.cardKey, name) } : {}),
      name,
      'display-name': param.name ?? humanize(name),
      type: param.type,
    };
    if (param.type === 'dimension') {
      tag.dimension = ['field', uuids ? { 'lib/uuid': stableUuid(input.project, 'template-tag', input.cardKey, name, 'dimension') } : {}, ref('field', param.field ?? '')];
      tag['widget-type'] = param.widget ?? 'category';
    }
    if (param.default !== undefined) tag.default = param.default;
    if (param.required) tag.required = true;
    tags[name] = tag;
  }
  return {
    'lib/type': 'mbql/query',
    database: ref('database', input.database),
    stages: [{ 'lib/type': 'mbql.stage/native', native: input.sql, 'template-tags': tags }],
  };
}

export function humanize(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
