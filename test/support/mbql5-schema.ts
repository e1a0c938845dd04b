import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { loadMetabaseSchemas } from './metabase-schemas.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
let validate: ValidateFunction | undefined;

/** Checks a query against the MBQL 5 JSON Schema of `@metabase/cli` (`mb query --print-schema`), as its CLI does. */
export function mbql5Errors(query: unknown): string[] {
  if (!validate) {
    const { mbql } = loadMetabaseSchemas();
    const ajv = new Ajv2020({ allErrors: true, strict: false, strictTuples: false, allowUnionTypes: true });
    addFormats(ajv);
    for (const [name, schema] of Object.entries(mbql.defs)) ajv.addSchema(schema, name);
    ajv.addSchema(mbql.schema, 'query.yaml');
    validate = ajv.getSchema('query.yaml')!;
  }
  return validate(query) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
