import { z } from 'zod';

/**
 * The shapes of the responses mb-sync reads, just the fields it relies on (everything else passes
 * through). A 200 that does not have its shape — a proxy's page, a truncated body, another service
 * at MB_URL — stops the run before anything is written, instead of reading as "nothing there".
 */
const id = z.number().int();
const item = z.looseObject({ id });
const list = <T extends z.ZodType>(element: T) => z.array(element);
const page = <T extends z.ZodType>(element: T) => z.looseObject({ data: z.array(element) });

export const Shapes = {
  properties: z.looseObject({ version: z.looseObject({ tag: z.string().optional() }).nullable().optional() }),
  groups: list(z.looseObject({ id, name: z.string() })),
  group: z.looseObject({ id, members: z.array(z.looseObject({ user_id: id, email: z.string() })).optional() }),
  databases: page(z.looseObject({ id, name: z.string() })),
  database: z.looseObject({ id, name: z.string(), details: z.record(z.string(), z.unknown()).nullable().optional() }),
  metadata: z.looseObject({ tables: z.array(z.looseObject({ id, name: z.string(), schema: z.string().nullable(), fields: z.array(z.looseObject({ id, name: z.string() })) })).optional() }),
  collections: list(z.looseObject({ id: z.union([id, z.string()]), name: z.string() })),
  items: page(z.looseObject({ id, model: z.string() })),
  graph: z.looseObject({ revision: z.number(), groups: z.record(z.string(), z.record(z.string(), z.string())) }),
  cards: list(z.looseObject({ id, entity_id: z.string(), name: z.string(), dataset_query: z.unknown(), visualization_settings: z.record(z.string(), z.unknown()).nullable().optional() })),
  card: z.looseObject({ id, entity_id: z.string() }),
  dashboard: z.looseObject({ id, name: z.string(), dashcards: z.array(z.looseObject({ id, row: z.number(), col: z.number() })), tabs: z.array(item).optional() }),
  pulses: list(z.looseObject({ id, dashboard_id: id.nullable().optional(), channels: z.array(z.looseObject({})) })),
  notifications: list(z.looseObject({ id, payload: z.looseObject({}), handlers: z.array(z.looseObject({})) })),
  item,
} as const;
