/**
 * The study-level measures in the order they run (study-measure.ts describes the two kinds); the
 * per-minimum measures are src/measures/registry.ts.
 */
import type { StudyMeasure, TrainingMeasure } from './study-measure';
import { duringTrainingMeasure } from './during-training';
import { trainingSharpnessMeasure } from './training-sharpness';
import { rescalingMeasure } from './rescaling-run';
import { eosMeasure } from './eos';
import { reproductionMeasure } from './reproduction-run';
import { MEASURES } from '../measures/registry';

/** At each λmax check of a training run, in this order (a failing one stops the run's checks). */
export const TRAINING_MEASURES: readonly TrainingMeasure[] = [duringTrainingMeasure, trainingSharpnessMeasure];

/** Once per study, after its runs. */
export const STUDY_MEASURES: readonly StudyMeasure[] = [reproductionMeasure, rescalingMeasure, eosMeasure];

/**
 * What a configuration's `measures` list may name: the training measures' and the registry's
 * measures of the minimum (a grid cell of the default study runs a few cheap ones, sweep.ts).
 */
export const RUN_MEASURE_NAMES = [...TRAINING_MEASURES, ...MEASURES].map((m) => m.name) as [string, ...string[]];
