import type { NativeParamT } from '../model/card.ts';

/**
 * A native card's SQL made runnable without Metabase, to compile it against the real views:
 * field filters become TRUE, variables a literal of their type (the default when there is one),
 * and `[[ … ]]` optional clauses are tried both left out and kept.
 */
export function sampleSql(sql: string, params: Record<string, NativeParamT>): string[] {
  const substitute = (text: string) =>
    text.replace(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g, (_m, name: string) => literal(params[name]));
  const without = sql.replace(/\[\[[\s\S]*?\]\]/g, '');
  const withOptional = sql.replace(/\[\[([\s\S]*?)\]\]/g, '$1');
  return [...new Set([substitute(without), substitute(withOptional)])];
}

function literal(param: NativeParamT | undefined): string {
  const value = param?.default;
  switch (param?.type ?? 'text') {
    case 'dimension':
      return 'TRUE';
    case 'number':
      return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) ? String(value) : '0';
    case 'date':
      return `'${typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : '2026-01-01'}'`;
    case 'boolean':
      return 'TRUE';
    case 'temporal-unit':
      return "'day'";
    default:
      return `'${String(value ?? 'x').replace(/'/g, "''")}'`;
  }
}
