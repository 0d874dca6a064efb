/**
 * The training measures (study-measure.ts: at each λmax check of a training run) and the names a
 * configuration's `measures` list may use. Browser-safe, apart from the study-level measures of
 * study-measures.ts, because the config schema (and so the demo) reads the names.
 */
import type { TrainingMeasure } from './study-measure';
import { duringTrainingMeasure } from './during-training';
import { trainingSharpnessMeasure } from './training-sharpness';
import { MEASURES } from '../measures/registry';

/** At each λmax check of a training run, in this order (a failing one stops the run's checks). */
export const TRAINING_MEASURES: readonly TrainingMeasure[] = [duringTrainingMeasure, trainingSharpnessMeasure];

/**
 * What a configuration's `measures` list may name: the training measures' and the registry's
 * measures of the minimum (a grid cell of the default study runs a few cheap ones, sweep.ts).
 */
export const RUN_MEASURE_NAMES = [...TRAINING_MEASURES, ...MEASURES].map((m) => m.name) as [string, ...string[]];
