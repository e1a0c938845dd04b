import type { ProjectConfigT } from '../model/project.ts';
import { compareText } from './compare-text.ts';

export type RecipientSpec = { email: string } | { group: string };

/** `list:` entries expanded from the config (recursively), duplicates removed, in a stable order. */
export function expandRecipients(to: string[], config: Pick<ProjectConfigT, 'recipients'>, seen = new Set<string>()): RecipientSpec[] {
  const out = new Map<string, RecipientSpec>();
  for (const entry of to) {
    if (entry.startsWith('list:')) {
      const name = entry.slice(5);
      if (seen.has(name)) continue;
      for (const r of expandRecipients(config.recipients[name] ?? [], config, new Set([...seen, name]))) out.set(JSON.stringify(r), r);
    } else if (entry.startsWith('group:')) {
      out.set(entry, { group: entry.slice(6) });
    } else {
      out.set(entry.toLowerCase(), { email: entry.toLowerCase() });
    }
  }
  return [...out.values()].sort((a, b) => compareText(JSON.stringify(a), JSON.stringify(b)));
}
