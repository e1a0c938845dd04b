import { ensureMetabaseSchemas } from './metabase-schemas.ts';

export default async function setup(): Promise<void> {
  await ensureMetabaseSchemas();
}
