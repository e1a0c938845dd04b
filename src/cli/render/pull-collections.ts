import { stringify } from 'yaml';
import type { CollectionToDeclare } from '../../core/pull-collection.ts';

/**
 * What to add to the config for the collections pulled files name but the config does not declare,
 * as YAML to paste: until then `validate` and every other command refuse those files. Entries are
 * grouped by where they go (the top of `collections:`, or a declared collection's `children:`).
 */
export function renderCollectionsToDeclare(collections: CollectionToDeclare[], configFile: string): string {
  const groups = new Map<string | null, CollectionToDeclare['entry'][]>();
  for (const { under, entry } of collections) groups.set(under, [...(groups.get(under) ?? []), entry]);
  const parts = [...groups].map(([under, entries]) => {
    const where = under === null ? 'under `collections:`' : `in the \`children:\` of collection \`${under}\``;
    const yaml = stringify(entries, { lineWidth: 0 }).trimEnd().split('\n').map((line) => `  ${line}`).join('\n');
    return `Add to ${configFile}, ${where}:\n${yaml}\n`;
  });
  return parts.length === 0 ? '' : `${parts.join('')}(plan then finds these collections by name where they are, and adds mb-sync's marker to their description.)\n`;
}
