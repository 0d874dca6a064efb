/**
 * The noise measure's study-level statistics (pure: no GPU, no words): each configuration's
 * directions, seeds pooled, fitted for the slopes of log c and log σ² against log λ with their
 * bootstrap intervals, and a prediction's verdict read off such an interval. The study's statistics
 * module re-exports them beside its other statistics; the noise section (noise-report.ts) words them.
 */
import { logLogSlope, type SlopeFit } from '../util/bootstrap';
import type { ProbedRun } from './results';

export interface PooledSlopes<R extends ProbedRun> {
  configuration: string;
  /** The continuation's optimiser kind (NoiseResult.optimizer) of the configuration's first run. */
  optimizer: string;
  /** log c vs log λ over every direction, and over the eigen-directions alone. */
  noise: SlopeFit;
  noiseTop: SlopeFit;
  /** log σ² vs log λ' over the equilibrated directions; null with fewer than 3. */
  spread: SlopeFit | null;
  runs: R[];
}

/** Per configuration with noise measurements, in run order: the directions of all its seeds pooled into one fit of each slope. */
export function pooledSlopes<R extends ProbedRun>(runs: readonly R[]): PooledSlopes<R>[] {
  const names = [...new Set(runs.filter((r) => r.noise).map((r) => r.configuration))];
  return names.map((configuration, i) => {
    const rs = runs.filter((r) => r.configuration === configuration && r.noise);
    const dirs = rs.flatMap((r) => r.noise!.directions);
    const settled = dirs.filter((d) => d.spread?.equilibrated);
    return {
      configuration, optimizer: rs[0].noise!.optimizer, runs: rs,
      noise: logLogSlope(dirs.map((d) => [d.lambda, d.c]), i),
      noiseTop: logLogSlope(dirs.filter((d) => d.kind === 'eigen').map((d) => [d.lambda, d.c]), i),
      spread: settled.length >= 3 ? logLogSlope(settled.map((d) => [d.spread!.lambdaRegularised, d.spread!.variance]), i) : null,
    };
  });
}

export type PredictionVerdict = 'consistent' | 'rejected' | 'undecided';

/** A predicted value (or range) against a fit: consistent when it meets the interval, rejected outside it, undecided without one. */
export function predictionVerdict(fit: SlopeFit | null, range: [number, number]): PredictionVerdict {
  if (!fit || !Number.isFinite(fit.low) || !Number.isFinite(fit.high)) return 'undecided';
  return range[1] >= fit.low && range[0] <= fit.high ? 'consistent' : 'rejected';
}
