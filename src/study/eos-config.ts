/**
 * The `eos` section of the study config (edge of stability: src/study/eos.ts and the during-training
 * measures of src/study/training-sharpness.ts): its schema, defaults and checks, which
 * config-schema.ts composes into the whole config's.
 */
import * as z from 'zod';
import { across, distinct, flag, must, posInt, strict } from '../util/zod-fields';

const etasError = { error: (iss: { input: unknown }) =>
  `must list 1 to 6 step sizes, e.g. [0.15, 0.3], got ${JSON.stringify(iss.input)} (turn the experiment off with "enabled": false)` };
const eta = z.number(must('a positive step size')).positive(must('a positive step size'));

export const EosSchema = strict({
  enabled: flag(' (the off switch)').default(true)
    .describe('false: no full-batch experiment (and no mini-batch / preconditioned sharpness during training).'),
  etas: z.array(eta, etasError).min(1, etasError).max(6, etasError)
    .check(distinct('a step size'))
    .default([0.2, 0.35])
    .describe('Step sizes η of the full-batch runs, each traced against its 2/η.'),
  steps: posInt().default(60).describe('Full-batch steps per η.'),
  every: posInt().default(10).describe('λmax every this many steps.'),
  samples: posInt().default(500).describe('Training samples of the full batch (the first N of the train split).'),
  powerIters: posInt().default(3)
    .describe('Warm-started power iterations per trace point (and per preconditioned check during training after the first).'),
  duringTraining: flag().default(true).describe(
    "During each study run, at every probe.duringEvery check: SGD's mini-batch sharpness (λmax on one fresh mini-batch " +
    "of the run's batch size) and Adam's preconditioned sharpness λmax(P⁻¹H)."),
}).check(across((e, fail) => {
  if (e.every > e.steps) fail(['every'], `(${e.every}) must be at most eos.steps (${e.steps}), or the trace has only its end points`);
})).prefault({});

export type EosConfig = z.output<typeof EosSchema>;
