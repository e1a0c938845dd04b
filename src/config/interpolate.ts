/**
 * `${VAR}` and `${VAR:-default}` in YAML string values, from the environment; `$${` is a literal `${`.
 * Returns the value and the names of missing variables (no default), so all are reported at once.
 */
export interface Interpolated {
  value: unknown;
  missing: Array<{ path: Array<string | number>; variable: string }>;
  /** Values that came from variables whose name looks secret (PASSWORD, KEY, TOKEN, SECRET). */
  secrets: string[];
  /** True when nothing was replaced: the value is the input as it was. */
  untouched: boolean;
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEY|_KEY$/i;

/** The variable a value is made of alone (`${VAR}` or `${VAR:-default}`), if it is one. */
export function soleVariable(text: string): string | undefined {
  const match = new RegExp(`^(?:${PATTERN.source})$`).exec(text.trim());
  return match?.[1];
}

export function interpolate(value: unknown, env: NodeJS.ProcessEnv, placeholder = ''): Interpolated {
  const missing: Interpolated['missing'] = [];
  const secrets: string[] = [];
  let untouched = true;
  // The path of a value is built only when a variable is missing (a parent chain until then):
  // walking every node of a large project with its path spelled out costs more than the rest.
  type Chain = { parent: Chain; key: string | number } | undefined;
  const spell = (chain: Chain): Array<string | number> => (chain === undefined ? [] : [...spell(chain.parent), chain.key]);
  const walk = (v: unknown, chain: Chain): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      return v.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
        untouched = false;
        if (match === '$${') return '${';
        const found = env[name as string];
        if (found !== undefined && found !== '') {
          if (SECRET_NAME.test(name as string)) secrets.push(found);
          return found;
        }
        if (fallback !== undefined) return fallback;
        missing.push({ path: spell(chain), variable: name as string });
        return placeholder;
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, { parent: chain, key: i }));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const item = walk((v as Record<string, unknown>)[k], { parent: chain, key: k });
        // A YAML key "__proto__" stays a key, never the prototype.
        if (k === '__proto__') Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true });
        else out[k] = item;
      }
      return out;
    }
    return v;
  };
  const out = walk(value, undefined);
  return { value: out, missing, secrets, untouched };
}
