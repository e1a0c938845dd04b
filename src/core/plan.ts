/**
 * The plan is data: a versioned plain object that the text, markdown and JSON renderers read,
 * that `plan --out` saves and `apply FILE` carries out.
 *
 * 2: one fingerprint per object (`fingerprints`) instead of one hash per side, so that a saved
 * partial plan is checked against what it covers only, and a refusal names what moved.
 */
export const PLAN_FORMAT_VERSION = 2;

/** `card.spend-by-module`, `dashboard.energie-live`, `database.phoenix`: printed the same everywhere. */
export type Address = string;

export type Operation = 'create' | 'update' | 'archive' | 'noop';

/** With `plan --baseline`: whether the files changed the object, Metabase did (drift), or both. */
export type Cause = 'change' | 'drift' | 'both';

export interface FieldChange {
  /**
   * Dotted path inside the normalised object, e.g. `name`, `dashcards[card:spend-by-module].size_x`
   * (keyed arrays by key), `dataset_query.stages[0].native` (other arrays by index).
   */
  path: string;
  /** null for an added element; the whole element when it was removed. */
  before: unknown;
  /** null for a removed element; the whole element when it was added. */
  after: unknown;
  /** Set when the change is in an array of keyed elements (dashcards, tabs, filters, recipients…). */
  element?: ElementChange;
}

/** Which element of a keyed array changed, and how: what renderers group by. */
export interface ElementChange {
  /** Path of the array, e.g. `dashcards`. */
  array: string;
  /** The element's key, e.g. `card:spend-by-module`, `heading:Spend`, `card:x#2` for a second copy. */
  key: string;
  op: 'add' | 'remove' | 'change';
  /** For `change`: the field inside the element, e.g. `size_x` or `parameter_mappings[period].target`. */
  field?: string;
}

export interface Action {
  address: Address;
  kind: string;
  key: string;
  op: Operation;
  /** The object's name in Metabase, when it has one (archive actions and orphans: what people recognise). */
  name?: string;
  /** Live id when the object exists. */
  id?: number | string;
  /** Field-level changes for update (empty for create/archive/noop). */
  changes: FieldChange[];
  /** The normalised desired object (create/update); refs are still symbolic. */
  desired?: unknown;
  /** Refs that cannot be resolved until an earlier stage ran (e.g. fields before the sync). */
  knownAfterApply?: string[];
  /** With a baseline: this change's, drift made in Metabase, or both (src/core/cause.ts). */
  cause?: Cause;
  /** One line for people, e.g. "waits for analytics.vw_pack_funnel to appear". */
  note?: string;
}

export interface Stage {
  kind: string;
  actions: Action[];
}

export interface PlanTarget {
  environment: string;
  url: string;
  metabaseVersion: string;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  project: string;
  target: PlanTarget;
  createdAt: string;
  /**
   * What the plan was computed from, object by object: `apply FILE` refuses a plan whose objects
   * moved, and names them. Present with the digest, when the plan leaves the process (saved, or JSON).
   */
  fingerprints?: PlanFingerprints;
  /** Whether archive actions were asked for (`--allow-archive`). */
  allowArchive: boolean;
  stages: Stage[];
  /** Managed objects no longer in the files; archived only with --allow-archive. */
  orphans: Action[];
  /** Present on a partial plan (`--select`): what was asked, and how many objects it kept. */
  selection?: { selectors: string[]; objects: number; of: number };
  summary: PlanSummary;
  /**
   * sha256 over everything above (changes, options, target, fingerprints): `apply FILE` refuses a
   * file whose digest does not match, so a reviewed plan cannot be edited into another one.
   */
  digest?: string;
}

/**
 * A hash per object (`card.spend-by-module`) on each side, for every object a full plan read or
 * wanted, or, for a partial plan, those its selection covers (what it names and what they need).
 * An object missing on a side had nothing there.
 */
export interface PlanFingerprints {
  /** The live object(s) under that address, as the plan saw them (src/core/object-fingerprints.ts). */
  live: Record<Address, string>;
  /** The object the files ask for, normalised. */
  files: Record<Address, string>;
  /** The same, where a handler completed it from Metabase (a subscription's groups, as their members). */
  completed: Record<Address, string>;
}

export interface PlanSummary {
  create: number;
  update: number;
  archive: number;
  noop: number;
}

export function summarize(stages: Stage[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, archive: 0, noop: 0 };
  for (const stage of stages) for (const action of stage.actions) summary[action.op] += 1;
  return summary;
}

/** Whether apply has anything to do: objects kept although removed from the files are not work. */
export function hasWork(plan: Pick<Plan, 'summary'>): boolean {
  return plan.summary.create + plan.summary.update + plan.summary.archive > 0;
}

/**
 * Whether the live Metabase differs from the files. Objects removed from the files count even when
 * they are kept (no --allow-archive): `plan --detailed-exitcode` must not call that state clean.
 */
export function hasChanges(plan: Pick<Plan, 'summary'> & Partial<Pick<Plan, 'orphans'>>): boolean {
  return hasWork(plan) || (plan.orphans?.length ?? 0) > 0;
}
