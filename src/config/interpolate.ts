/**
 * `${VAR}` and `${VAR:-default}` in YAML string values, from the environment; `$${` is a literal `${`.
 * Returns the value and the names of missing variables (no default), so all are reported at once.
 */
export interface Interpolated {
  value: unknown;
  missing: Array<{ path: Array<string | number>; variable: string }>;
  /** Values that came from variables whose name looks secret (PASSWORD, KEY, TOKEN, SECRET). */
  secrets: string[];
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEY|_KEY$/i;

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, placeholder = ''): Interpolated {
  const missing: Interpolated['missing'] = [];
  const secrets: string[] = [];
  const walk = (v: unknown, path: Array<string | number>): unknown => {
    if (typeof v === 'string') {
      return v.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        const found = env[name as string];
        if (found !== undefined && found !== '') {
          if (SECRET_NAME.test(name as string)) secrets.push(found);
          return found;
        }
        if (fallback !== undefined) return fallback;
        missing.push({ path, variable: name as string });
        return placeholder;
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return v;
  };
  return { value: walk(value, []), missing, secrets };
}
