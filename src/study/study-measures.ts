/**
 * The study-level measures in the order they run (study-measure.ts describes the two kinds); the
 * per-minimum measures are src/measures/registry.ts.
 */
import type { StudyMeasure } from './study-measure';
import { rescalingMeasure } from './rescaling-run';
import { eosMeasure } from './eos';
import { reproductionMeasure } from './reproduction-run';

export { TRAINING_MEASURES, RUN_MEASURE_NAMES } from './training-measures';

/** Once per study, after its runs. */
export const STUDY_MEASURES: readonly StudyMeasure[] = [reproductionMeasure, rescalingMeasure, eosMeasure];

