/**
 * The JSON Schema of a config file (configs/schema.json), generated from the zod schema so that
 * editors check and complete config files with the same types, defaults and descriptions the
 * loader uses. Checks across fields (e.g. traceMaxSamples ≥ traceSamples) are the loader's alone.
 * Kept apart from config-schema.ts so that the demo's bundle does not carry the generator.
 */
import * as z from 'zod';
import { ConfigFileSchema } from './config-schema';

export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(ConfigFileSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    $schema,
    title: 'hessian-gpu study config',
    description: 'Settings of `hessian-gpu study --config FILE` (npm start). Every key is optional: the rest come from the defaults ' +
      '(configs/default.json lists them all). Generated from src/study/config-schema.ts by `npm run schema`.',
    ...schema,
  };
}
