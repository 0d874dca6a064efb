/** Which runs of a study count as minima (report tables, correlations, the sweep's cells). */
import type { RunResult } from './results';

/** Runs that count: finished training without diverging and reached the train-loss target (or had no target). */
export function convergedRuns(runs: RunResult[]): RunResult[] {
  return runs.filter((r) => !r.diverged && r.converged !== false);
}

/** Runs that spent their budget above the train-loss target: listed, never correlated. */
export function unconvergedRuns(runs: RunResult[]): RunResult[] {
  return runs.filter((r) => !r.diverged && r.converged === false);
}
