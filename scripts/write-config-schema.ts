/**
 * Writes configs/schema.json, the JSON Schema of a study config file, from the zod schema
 * (src/study/config-schema.ts). Run after changing a setting: `npm run schema`; a test fails while
 * the file is out of date.
 */
import { writeFile } from 'node:fs/promises';
import { configJsonSchema } from '../src/study/config-json-schema';

const file = new URL('../configs/schema.json', import.meta.url);
await writeFile(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
