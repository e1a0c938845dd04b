import { z } from 'zod';
import { Card, CardFields } from './card.ts';
import { checkDefault, Key, NonBlank, ParameterDefault, Recipient, Schedule, VisualizationSettings } from './common.ts';

/** The parameter types Metabase accepts (a closed enum server-side: anything else is a 400). */
export const ParameterType = z.enum([
  'string/=', 'string/!=', 'string/contains', 'string/does-not-contain', 'string/starts-with', 'string/ends-with',
  'number/=', 'number/!=', 'number/between', 'number/>=', 'number/<=',
  'date/single', 'date/range', 'date/relative', 'date/month-year', 'date/quarter-year', 'date/all-options',
  'category', 'id', 'boolean/=', 'temporal-unit',
]);

export const DashboardFilter = z
  .object({
    key: Key.describe('becomes the parameter id and slug: keep it stable (subscriptions refer to it)'),
    name: NonBlank,
    slug: z.string().regex(/^[a-z0-9_-]+$/).optional().describe('the filter in URLs; defaults to the key'),
    type: ParameterType,
    default: ParameterDefault.optional(),
    required: z.boolean().optional(),
    multiple: z.boolean().optional().describe('allow several values (string and number filters)'),
    values: z.array(z.union([z.string(), z.number()])).optional().describe('a static list of choices'),
  })
  .strict()
  .superRefine(checkDefault);

/** 24-column grid. */
export const Layout = z
  .object({
    row: z.number().int().min(0),
    col: z.number().int().min(0).max(23),
    width: z.number().int().min(1).max(24),
    height: z.number().int().min(1),
  })
  .strict();

/** dashboard filter key → column (query-builder card) or template tag (native card). */
const FilterMappings = z.record(Key, z.string()).optional();

const placement = {
  layout: Layout,
  tab: Key.optional().describe('tab key (required when the dashboard has tabs)'),
};

/** A card defined inline on the dashboard. */
const InlineCard = z
  .object({ key: Key, ...CardFields, ...placement, filters: FilterMappings, settings: VisualizationSettings.optional() })
  .strict();

/** A card defined elsewhere (models/, another dashboard), placed here. */
const CardRef = z
  .object({ card: Key, ...placement, filters: FilterMappings, settings: VisualizationSettings.optional().describe('per-dashcard overrides, e.g. card.title') })
  .strict();

const TextCard = z.object({ text: z.string(), ...placement, filters: FilterMappings }).strict();
const HeadingCard = z.object({ heading: z.string(), ...placement }).strict();

export const Dashcard = z.union([InlineCard, CardRef, TextCard, HeadingCard]);

export const Subscription = z
  .object({
    key: Key,
    name: NonBlank.optional().describe('ignored: Metabase names every subscription after its dashboard'),
    schedule: Schedule,
    to: z.array(Recipient).min(1),
    skip_if_empty: z.boolean().default(false),
    attach_csv: z.boolean().default(false),
    filters: z.record(Key, z.unknown()).optional().describe('filter values for this subscription (Pro/EE)'),
  })
  .strict();

export const Dashboard = z
  .object({
    $schema: z.string().optional(),
    key: Key,
    name: NonBlank,
    description: NonBlank.optional(),
    collection: Key,
    renamed_from: z.array(NonBlank).optional().describe('previous names, so a rename updates instead of recreating'),
    width: z.enum(['fixed', 'full']).default('fixed'),
    auto_apply_filters: z.boolean().default(true),
    filters: z.array(DashboardFilter).default([]),
    tabs: z.array(z.object({ key: Key, name: NonBlank }).strict()).default([]),
    cards: z.array(Dashcard).default([]),
    subscriptions: z.array(Subscription).default([]),
  })
  .strict();

/** models/*.yaml: one model (or shared question) per file. */
export const CardFile = Card;

export type DashboardT = z.infer<typeof Dashboard>;
export type DashcardT = z.infer<typeof Dashcard>;
export type DashboardFilterT = z.infer<typeof DashboardFilter>;
export type SubscriptionT = z.infer<typeof Subscription>;
export type LayoutT = z.infer<typeof Layout>;
