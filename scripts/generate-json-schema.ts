/** `npm run schema`: writes the JSON Schemas editors use to complete and check the YAML files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonSchemas } from '../src/config/json-schema.ts';

const dir = join(import.meta.dirname, '..', 'schemas');
await mkdir(dir, { recursive: true });
for (const [file, schema] of Object.entries(jsonSchemas())) await writeFile(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
console.log(`wrote ${Object.keys(jsonSchemas()).join(', ')} to schemas/`);
