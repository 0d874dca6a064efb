/**
 * What the study's config knows beyond its schema's building blocks (src/util/zod-fields.ts): the
 * keys of earlier config files, and the one rendering of a zod issue as `config: 'field' why`.
 */
import type * as z from 'zod';
import { fieldPath } from '../util/zod-fields';

/**
 * Keys of earlier config files: where a moved setting lives now (an error: the value must be moved
 * by hand), or why a retired one went (its loader drops it from a config file with a warning).
 */
export const FORMER_KEYS: Record<string, { movedTo: string } | { retired: string }> = {
  epochs: { movedTo: "'train.maxEpochs' (the budget; a run stops earlier once its train loss reaches 'train.lossTarget')" },
  'probe.lanczosSteps': {
    retired: 'the top-k eigenvalues come from the block solver, whose width is probe.blockSize; no study, probe or demo run read it',
  },
};

/**
 * The error a config's first issue throws: `config: 'field' why`, the field ending in the unknown
 * key for a strict object's refusal, which names a key of an earlier file by where it went.
 * Unknown keys are reported first, anywhere in the config, as they are the likeliest cause of
 * whatever else looks wrong.
 */
export function configError(error: z.ZodError): Error {
  const first = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  const path = fieldPath(first.code === 'unrecognized_keys' ? [...first.path, first.keys[0]] : first.path);
  const former = first.code === 'unrecognized_keys' ? FORMER_KEYS[path] : undefined;
  const why = !former ? first.message : 'movedTo' in former ? `is now ${former.movedTo}` : `is no longer a setting: ${former.retired}; remove it`;
  return new Error(`config: '${path}' ${why}`);
}
