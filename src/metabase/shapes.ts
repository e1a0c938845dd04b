import { z } from 'zod';

/**
 * The shapes of the responses mb-sync reads, just the fields it relies on. A 200 that does not have
 * its shape — a proxy's page, a truncated body, another service at MB_URL — stops the run before
 * anything is written, instead of reading as "nothing there".
 *
 * They only check: the client hands back the body as it came (every other field with it), never
 * what the schema outputs. So objects are `z.object`, which looks at the fields named here and
 * ignores the rest, rather than `z.looseObject`, which would copy every field of every card of a
 * bulk list into an output nobody reads.
 */
const id = z.number().int();
const item = z.object({ id });
const list = <T extends z.ZodType>(element: T) => z.array(element);
const page = <T extends z.ZodType>(element: T) => z.object({ data: z.array(element) });

export const Shapes = {
  properties: z.object({ version: z.object({ tag: z.string().optional() }).nullable().optional() }),
  groups: list(z.object({ id, name: z.string() })),
  group: z.object({ id, members: z.array(z.object({ user_id: id, email: z.string() })).optional() }),
  databases: page(z.object({ id, name: z.string() })),
  database: z.object({ id, name: z.string(), details: z.record(z.string(), z.unknown()).nullable().optional() }),
  metadata: z.object({ tables: z.array(z.object({ id, name: z.string(), schema: z.string().nullable(), fields: z.array(z.object({ id, name: z.string() })) })).optional() }),
  collections: list(z.object({ id: z.union([id, z.string()]), name: z.string() })),
  items: page(z.object({ id, model: z.string() })),
  graph: z.object({ revision: z.number(), groups: z.record(z.string(), z.record(z.string(), z.string())) }),
  cards: list(z.object({ id, entity_id: z.string(), name: z.string(), dataset_query: z.unknown(), visualization_settings: z.record(z.string(), z.unknown()).nullable().optional() })),
  card: z.object({ id, entity_id: z.string() }),
  dashboard: z.object({ id, name: z.string(), dashcards: z.array(z.object({ id, row: z.number(), col: z.number() })), tabs: z.array(item).optional() }),
  pulses: list(z.object({ id, dashboard_id: id.nullable().optional(), channels: z.array(z.object({})) })),
  notifications: list(z.object({ id, payload: z.object({}), handlers: z.array(z.object({})) })),
  item,
} as const;
