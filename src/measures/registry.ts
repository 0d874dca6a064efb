/**
 * The measures of a trained minimum, in the order they run (a measure may read what an earlier one
 * found: the eigenpairs of λmax's solver, λmax itself), and what is composed from them: their own
 * `probe` settings, sharpness table and printed lines. Adding a measure: its module
 * beside these, its test, and one line here.
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

const REGISTERED = [
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
] as const;

export const MEASURES: readonly Measure[] = REGISTERED;

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** A measure's own settings shape; none for a measure without (typed by the default, SettingsShape: any key). */
type Own<M> = M extends { schema?: infer S } ? (string extends keyof S ? never : NonNullable<S>) : never;
type OwnSettings = Intersection<Own<(typeof REGISTERED)[number]>>;

/**
 * Every measure's own `probe` settings (their zod schemas, by key), in registry order: the study's
 * config schema adds the shared solver settings and the checks (each measure's checkSettings).
 */
export const MEASURE_SETTINGS = Object.assign({}, ...MEASURES.map((m) => m.schema)) as { [K in keyof OwnSettings]: OwnSettings[K] };

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
