/** Which runs of a study count as minima (report tables, correlations, the sweep's cells), and runs grouped by configuration. */
import type { RunResult } from './results';

/** Runs that count: finished training without diverging and reached the train-loss target (or had no target). */
export function convergedRuns(runs: RunResult[]): RunResult[] {
  return runs.filter((r) => !r.diverged && r.converged !== false);
}

/** Runs that spent their budget above the train-loss target: listed, never correlated. */
export function unconvergedRuns(runs: RunResult[]): RunResult[] {
  return runs.filter((r) => !r.diverged && r.converged === false);
}

/** Runs by configuration name, in the order each configuration first appears. */
export function groupByConfiguration(runs: RunResult[]): Map<string, RunResult[]> {
  const m = new Map<string, RunResult[]>();
  for (const r of runs) m.set(r.configuration, [...(m.get(r.configuration) ?? []), r]);
  return m;
}
