/**
 * One minimum's sharpness measures as labelled rows — each number with the solver that produced it
 * and its convergence, each stochastic estimate with its 95 % interval — for every place that shows
 * a single probed minimum: `probe --checkpoint` and `probe --weights` print these lines, and the
 * imported model's report.md tabulates them, so the two commands show the same measures. Each
 * measure declares its own rows (measure.ts `table`); this module orders and formats them.
 */
import { INTERVALS, meanInterval } from '../util/bootstrap';
import type { Bounds, Sharpness } from './results';
import type { Measure } from './measure';

export interface SharpnessRow {
  measure: string;
  value: string;
}

export const f = (x: number, digits = 4) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));

export const state = (converged: boolean) => (converged ? 'converged' : 'NOT converged');

/** "v [low, high]" with the interval, or "v [interval undefined]" (too few probes). */
export function withBounds(value: number, b: Bounds | undefined, digits = 4): string {
  const ok = b && Number.isFinite(b.low) && Number.isFinite(b.high);
  return `${f(value, digits)} ${ok ? `[${f(b.low, digits)}, ${f(b.high, digits)}]` : '[interval undefined]'}`;
}

/** The measures' rows in table order. */
export function tableRows(measures: readonly Measure[], s: Sharpness): SharpnessRow[] {
  return measures.flatMap((m) => (m.table ? [m.table] : [])).sort((a, b) => a.order - b.order).flatMap((t) => t.rows(s));
}

/** "k of n": how many of the records pass (the study's convergence counts). */
export const countOf = <T>(records: readonly T[], pass: (x: T) => boolean) => `${records.filter(pass).length} of ${records.length}`;

/** "a" when every value is a, else "min–max". */
export function spanOf(values: readonly number[]): string {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  return lo === hi ? `${values[0]}` : `${lo}–${hi}`;
}

const g3 = (x: number) => (!Number.isFinite(x) ? 'n/a' : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(3));

/** Mean over seeds with its 95 % percentile-bootstrap interval (the study's interval settings), or the value alone for one seed. */
export function overSeeds(values: number[]): string {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return 'n/a';
  const ci = meanInterval(v, INTERVALS);
  return Number.isFinite(ci.low) ? `${g3(ci.estimate)} [${g3(ci.low)}, ${g3(ci.high)}]` : g3(ci.estimate);
}
