import type { NativeParamT, StructuredQueryT } from '../model/card.ts';
import { decompileStage } from './decompile-stage.ts';
import type { RefIndex } from './refs.ts';

/**
 * The inverse of compile-query/native-query, for `mb-sync pull`: a live MBQL 5 query back to the
 * YAML form, with names instead of ids. Returns `unsupported` for what the YAML cannot express
 * (several stages, options it has no spelling for…) so the caller can say which card it skipped and why.
 */
export type Decompiled =
  | { kind: 'query'; query: StructuredQueryT }
  | { kind: 'sql'; sql: string; params: Record<string, NativeParamT> }
  | { kind: 'unsupported'; reason: string };

export function decompileQuery(query: Record<string, unknown>, refs: RefIndex): Decompiled {
  const stages = (query.stages ?? []) as Array<Record<string, unknown>>;
  if (stages.length !== 1) return { kind: 'unsupported', reason: `${stages.length} stages` };
  const stage = stages[0]!;
  if (stage['lib/type'] === 'mbql.stage/native') return decompileNative(stage, refs);
  try {
    return { kind: 'query', query: decompileStage(stage, refs) };
  } catch (error) {
    return { kind: 'unsupported', reason: (error as Error).message };
  }
}

function decompileNative(stage: Record<string, unknown>, refs: RefIndex): Decompiled {
  const raw = stage['template-tags'] ?? {};
  const tags = (Array.isArray(raw) ? raw : Object.values(raw)) as Array<Record<string, unknown>>;
  const params: Record<string, NativeParamT> = {};
  for (const tag of tags) {
    if (!['text', 'number', 'date', 'boolean', 'dimension', 'temporal-unit'].includes(tag.type as string)) return { kind: 'unsupported', reason: `template tag type ${String(tag.type)}` };
    const param: NativeParamT = { type: tag.type as NativeParamT['type'], name: String(tag['display-name'] ?? tag.name) };
    if (tag.type === 'dimension') {
      // MBQL 5 `["field", {opts}, id]`; legacy `["field", id, opts]` is read too.
      const dimension = (tag.dimension ?? []) as unknown[];
      const id = typeof dimension[2] === 'number' ? dimension[2] : dimension[1];
      const field = typeof id === 'number' ? refs.name('field', id) : undefined;
      if (field === undefined) return { kind: 'unsupported', reason: `field filter {{${String(tag.name)}}} on an unknown field` };
      param.field = field;
      param.widget = String(tag['widget-type'] ?? 'category');
    }
    if (tag.default !== undefined && tag.default !== null) param.default = tag.default as NativeParamT['default'];
    if (tag.required === true) param.required = true;
    params[String(tag.name)] = param;
  }
  return { kind: 'sql', sql: String(stage.native), params };
}

