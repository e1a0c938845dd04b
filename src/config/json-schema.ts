import { z } from 'zod';
import { CardFile, Dashboard } from '../model/dashboard.ts';
import { ProjectConfig } from '../model/project.ts';

/** The committed JSON Schemas, derived from the zod schemas (a test fails when they drift). */
export function jsonSchemas(): Record<string, unknown> {
  const make = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    title,
  });
  return {
    'metabase.config.schema.json': make(ProjectConfig, 'mb-sync project config (metabase.config.yaml)'),
    'dashboard.schema.json': make(Dashboard, 'mb-sync dashboard (dashboards/*.yaml)'),
    'model.schema.json': make(CardFile, 'mb-sync model or shared question (models/*.yaml)'),
  };
}
