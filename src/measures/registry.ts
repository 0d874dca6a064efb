/**
 * The measures of a trained minimum, in the order they run (a measure may read what an earlier one
 * found: the eigenpairs of λmax's solver, λmax itself). Adding a measure: its module beside these,
 * its test, and one line here.
 */
import type { Measure } from './measure';
import { lambdaMaxMeasure } from './lambda-max';
import { traceMeasure } from './trace';
import { densityMeasure } from './density';
import { lambdaMinMeasure } from './lambda-min';
import { perLayerMeasure } from './per-layer';
import { gaussNewtonMeasure } from './gauss-newton';
import { sliceMeasure } from './slice';
import { perturbationMeasure } from './perturbation';
import { invariantMeasure } from './invariant';
import { noiseMeasure } from './noise';
import { noiseScaleMeasure } from './noise-scale';
import { tableRows, type SharpnessRow } from './table';
import type { MeasuredParts, Sharpness } from './results';

export const MEASURES: readonly Measure[] = [
  lambdaMaxMeasure,
  traceMeasure,
  densityMeasure,
  lambdaMinMeasure,
  perLayerMeasure,
  gaussNewtonMeasure,
  sliceMeasure,
  perturbationMeasure,
  invariantMeasure,
  noiseMeasure,
  noiseScaleMeasure,
];

/** The registry's rows of one minimum's sharpness table. */
export function sharpnessRows(s: Sharpness, measures: readonly Measure[] = MEASURES): SharpnessRow[] {
  return tableRows(measures, s);
}

/** The rows as "measure: value" lines, for the command line. */
export function sharpnessLines(s: Sharpness, measures: readonly Measure[] = MEASURES): string[] {
  return sharpnessRows(s, measures).map((r) => `${r.measure}: ${r.value}`);
}

/** A probed minimum as printed lines: the sharpness table's, then each measure's own (the CLI's probe commands). */
export function probeLines(r: MeasuredParts, measures: readonly Measure[] = MEASURES): string[] {
  return [...(r.sharpness ? sharpnessLines(r.sharpness, measures) : []), ...measures.flatMap((m) => m.lines?.(r) ?? [])];
}
