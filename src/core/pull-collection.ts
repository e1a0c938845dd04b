import { flatten } from './collections.ts';
import { withoutCollectionMarker } from './collection-marker.ts';
import type { CollectionNode, ProjectConfigT } from '../model/project.ts';
import { freeKey, slugify } from './pull-dashboard.ts';
import type { RefIndex } from './refs.ts';

/** A collection as `GET /api/collection` lists it (the root is listed too, with id "root"). */
export interface ListedCollection {
  id: number | string;
  name: string;
  description?: string | null;
  /** Its ancestors' ids, "/3/12/"; "/" at the top. */
  location?: string;
  personal_owner_id?: number | null;
}

/** Collections to add to the config's `collections:` for what pull wrote to mean something. */
export interface CollectionToDeclare {
  /** The declared collection whose `children:` it goes in; null: the top level of `collections:`. */
  under: string | null;
  /** With its own undeclared subcollections that pull needs, as `children`. */
  entry: CollectionNode;
}

export type PlacedCollection = { key: string } | { refused: string };

/**
 * The key the files give the collection a pulled dashboard or card lives in. A declared collection
 * keeps its key; another one gets a new key (its marker's, if it carries this project's, else a slug
 * of its name no declared collection uses) and is listed, with its undeclared ancestors, as an entry
 * to add: `loadProject` refuses a dashboard whose collection the config does not declare, and the
 * collection handler adopts an unmarked one by name under its parent, so the entry must sit where the
 * collection sits. The root ("Our analytics") and personal collections cannot be declared: refused.
 */
export function collectionPlacer(config: Pick<ProjectConfigT, 'collections'>, refs: RefIndex, listed: ListedCollection[]) {
  const declared = new Set(flatten(config.collections).map((c) => c.key));
  const byId = new Map(listed.map((c) => [c.id, c]));
  const taken = new Set(declared);
  const keys = new Map<number | string, string>();
  const nodes = new Map<number | string, CollectionNode>();
  const toDeclare: CollectionToDeclare[] = [];

  const declaredKey = (id: number | string): string | undefined => {
    const key = refs.name('collection', id);
    return key !== undefined && declared.has(key) ? key : undefined;
  };
  const newKey = (c: ListedCollection): string => {
    const known = refs.name('collection', c.id);
    return freeKey(known !== undefined && !taken.has(known) ? known : slugify(c.name), taken);
  };

  function place(id: number | string | null | undefined): PlacedCollection {
    if (id === null || id === undefined || id === 'root') return { refused: 'is in the root collection ("Our analytics"), which the config cannot declare' };
    const own = declaredKey(id);
    if (own !== undefined) return { key: own };
    const known = keys.get(id);
    if (known !== undefined) return { key: known };
    const collection = byId.get(id);
    if (collection === undefined) return { refused: `is in collection #${String(id)}, which GET /api/collection does not list (can this API key see it?)` };
    const chain = [...(collection.location ?? '/').split('/').filter(Boolean).map(Number), id].map((x) => byId.get(x));
    if (chain.some((c) => c === undefined)) return { refused: `is in collection "${collection.name}", whose parents GET /api/collection does not all list` };
    if (chain.some((c) => c!.personal_owner_id != null)) return { refused: `is in a personal collection ("${collection.name}"), which the config cannot declare` };
    // From the top: the deepest declared ancestor is where the new entries go.
    let under: string | null = null;
    let parent: CollectionNode | undefined;
    for (const c of chain as ListedCollection[]) {
      const key = declaredKey(c.id);
      if (key !== undefined) {
        under = key;
        parent = undefined;
        continue;
      }
      let node = nodes.get(c.id);
      if (node === undefined) {
        const description = withoutCollectionMarker(c.description);
        node = { key: newKey(c), name: c.name, ...(description === null ? {} : { description }) };
        nodes.set(c.id, node);
        keys.set(c.id, node.key);
        if (parent === undefined) toDeclare.push({ under, entry: node });
        else (parent.children ??= []).push(node);
      }
      parent = node;
    }
    return { key: keys.get(id)! };
  }

  return { place, toDeclare: (): CollectionToDeclare[] => toDeclare };
}
