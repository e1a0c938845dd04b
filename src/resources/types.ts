import type { Origin, Project } from '../core/project.ts';
import type { RefIndex } from '../core/refs.ts';
import type { MetabaseApi, ServerInfo } from '../metabase/types.ts';
import type { ApplyEvent } from '../core/events.ts';

/** One object the files ask for, normalised, with symbolic refs (src/core/refs.ts). */
export interface DesiredObject<B = unknown> {
  key: string;
  /** The compare form: what the diff sees. */
  body: B;
  /** What is sent, as the API documents it (with refs where ids go), when it differs from `body`. */
  wire?: unknown;
  /** Request-body path prefix → the path inside the object's YAML it came from (server errors). */
  sources?: Record<string, string>;
  origin?: Origin;
}

/** One live object of a managed kind, as read in bulk. */
export interface LiveObject<R = unknown> {
  key: string;
  id: number | string;
  raw: R;
  /** True when mb-sync owns it (created it, or the config declares it); only owned objects are changed. */
  managed: boolean;
  /** Live but archived (in the Trash): an update restores it. */
  archived?: boolean;
  /** A second copy of a managed object that mb-sync itself made (two runs at once): archived. */
  duplicateOf?: string;
  /** What read() learned that normalize() needs, kept per run on the object itself. */
  facts?: unknown;
  /**
   * What a container holds (a collection's items, by kind and id): archiving it would take them to
   * the Trash too, so it is archived only when all of them are mb-sync's and go with it.
   */
  contains?: Contained[];
}

/** An item inside a container; `kind` is a handler's kind when mb-sync has one for it ('card', 'dashboard', 'collection'). */
export interface Contained {
  kind: string;
  id: number | string;
  name: string;
}

export interface ReadContext {
  api: MetabaseApi;
  project: Project;
  /** Filled as kinds are read: a handler may use the ids of the kinds it waited for (readAfter, after()). */
  refs: RefIndex;
  /** Objects read by earlier kinds, by kind. */
  live: ReadonlyMap<string, LiveObject[]>;
  /**
   * Resolves once `kind` is read (its ids registered, its objects in `live`): a read may send its
   * requests first and wait for another kind only where it needs it (outside a read: at once).
   */
  after(kind: string): Promise<void>;
}

export interface ApplyContext extends ReadContext {
  /** Known before anything is written (reads go out while its version is being read). */
  server: ServerInfo;
  /** Every ref the desired state mentions: the database stage waits for the tables and fields among them. */
  wantedRefs: ReadonlySet<string>;
  emit(event: ApplyEvent): void;
  /** A wait's progress on a TTY (the sync), shown beside the objects being written; `undefined` once it is over. */
  progress(message: string | undefined): void;
  /**
   * `kind:key` of planned objects an earlier step of this apply already brought to their desired
   * state (a collection's permissions, written with the collection): the engine does not run them again.
   */
  settled: Set<string>;
  /**
   * What a handler remembers during one apply (a database whose connection changed, writes to
   * serialise), by a key of its own: per run, never in module-level maps (see runState).
   */
  run: Map<string, unknown>;
  /** Between two polls of a sync or of a model's columns (tests make it short). */
  pollIntervalMs?: number;
  /** How long a model's columns are waited for (src/resources/settle-model-columns.ts; tests make it short). */
  metadataWaitMs?: number;
}

/**
 * One Metabase kind. Adding a kind = one file implementing this + one line in registry.ts.
 * The engine never imports a handler by name.
 */
export interface ResourceHandler<B = unknown, R = unknown> {
  kind: string;
  /** Kinds whose read() must have run first (their ids in ctx.refs). */
  readAfter?: string[];
  /**
   * Kinds whose objects must exist before this kind's are written (what its bodies refer to, or
   * what its create touches): the apply order is derived from these (registry.ts), not from the
   * position of a handler in a list.
   */
  dependsOn: string[];
  /**
   * Pure: what the files ask for. May be a generator: the plan takes its objects a few
   * milliseconds at a time, between the answers of the reads it runs meanwhile.
   */
  desired(project: Project): Iterable<DesiredObject<B>>;
  /**
   * Optional: costly work desired() relies on that can run off the main thread (a password's
   * scrypt digest); the plan starts it first and calls desired() once it is done.
   */
  warm?(project: Project): Promise<void>;
  /**
   * Optional: completes desired objects with what only the live side knows, after every read
   * (e.g. a group's members, for a subscription that pulses can only address user by user).
   */
  prepare?(desired: DesiredObject<B>[], ctx: ReadContext): Promise<DesiredObject<B>[]>;
  /** Bulk read of the live objects of this kind; registers their ids in ctx.refs. */
  read(ctx: ReadContext): Promise<LiveObject<R>[]>;
  /**
   * A live object in the desired() form: server-owned fields dropped, defaults filled, ids → refs.
   * Called as soon as this kind is read, so it may turn into refs only the ids of its own kind and
   * of the kinds its read waits for (`readAfter` or `ctx.after`, directly or not).
   */
  normalize(live: LiveObject<R>, refs: RefIndex): B;
  /** Creates the object; registers its id in ctx.refs and returns it. */
  create(desired: DesiredObject<B>, ctx: ApplyContext): Promise<number | string>;
  update(desired: DesiredObject<B>, live: LiveObject<R>, ctx: ApplyContext): Promise<void>;
  /** Moves a managed object to the Trash (only with --allow-archive). */
  archive?(live: LiveObject<R>, ctx: ApplyContext): Promise<void>;
  /**
   * Archived after every other stage, not in this kind's own: archiving a container takes what it
   * holds along, so what the same apply moves out of it must have moved first.
   */
  archiveLast?: boolean;
  /** Runs after this kind's stage even when nothing changed (e.g. the database waits for its sync). */
  afterStage?(ctx: ApplyContext): Promise<void>;
  /**
   * A closing step no other kind needs (table metadata: the rescan of filter values): started once
   * this kind's objects are written, without holding up the stages that depend on the kind; the
   * apply ends once it has. A handler has this or afterStage, not both.
   */
  afterStageInBackground?(ctx: ApplyContext): Promise<void>;
}

/** The state a handler keeps for this apply under `key`, made by `init` the first time. */
export function runState<T>(ctx: Pick<ApplyContext, 'run'>, key: string, init: () => T): T {
  if (!ctx.run.has(key)) ctx.run.set(key, init());
  return ctx.run.get(key) as T;
}

/**
 * The key under which groups and databases are created one at a time. When a database is created,
 * Metabase writes its data permissions for every group it finds (the database's after-insert hook,
 * in a transaction), and a new group gets its own for every database: a group and a database
 * created at the same moment could each miss the other.
 */
export const DATA_PERMISSION_ROWS = 'data-permission-rows';

/**
 * Runs `work` once every earlier `work` of this apply under the same `key` has ended (succeeded or
 * failed): writes that must not overlap on the server, whichever kinds make them.
 */
export function oneAtATime<T>(ctx: Pick<ApplyContext, 'run'>, key: string, work: () => Promise<T>): Promise<T> {
  const lock = runState(ctx, `one-at-a-time:${key}`, () => ({ last: Promise.resolve() as Promise<unknown> }));
  const next = lock.last.catch(() => {}).then(work);
  lock.last = next;
  return next;
}
