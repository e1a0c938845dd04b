import type { CollectionNode } from '../model/project.ts';

/** The collection tree of the config as a list, each node with its parent's key (null at the root). */
export function flatten(nodes: CollectionNode[], parent: string | null = null): Array<CollectionNode & { parent: string | null }> {
  return nodes.flatMap((node) => [{ ...node, parent }, ...flatten(node.children ?? [], node.key)]);
}
