/**
 * A path inside a value as people read it in errors and in `origin.lines`: `cards[2].layout.width`
 * (a YAML file's, a Metabase answer's).
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '');
}

/** The parts of a path formatPath wrote (`cards[2].layout` → `['cards', 2, 'layout']`). */
export function parsePath(path: string): Array<string | number> {
  return path.split(/\.|\[|\]/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
