/**
 * The study's statistics, in one pure module (no GPU, no markdown, no sentences): means over seeds
 * with their bootstrap intervals, rank correlations with the interval of Kendall τ, log-log slope
 * fits, and the verdicts read off those intervals. The report (report.ts and its section modules)
 * turns what these return into words; results.json stores only numbers, so a newer report can
 * re-render an older results file.
 *
 * Every interval is a 95 % percentile bootstrap (src/util/bootstrap.ts), seeded, so a verdict is the
 * same on every machine: means over seeds resample seeds; rank correlations resample runs with their
 * (measure, target) pairs kept together; slopes resample directions. A verdict is read off the
 * interval, never the point estimate.
 */
import { INTERVALS, bootstrapInterval, logLogSlope, meanInterval, type SlopeFit } from '../util/bootstrap';
import { kendallTau, mean, spearmanRho } from '../util/stats';
import type { Correlation, Estimate, RunResult } from './results';
import { convergedRuns, groupByConfiguration } from './run-sets';

// The interval settings live with the bootstrap (util/bootstrap.ts), below the measures that also use them; re-exported with the other statistics.
export { INTERVALS };

/** The sharpness measures ranked against the targets, each read off a run (undefined when not measured). */
export const MEASURES: { name: string; get: (r: RunResult) => number | undefined }[] = [
  { name: 'λmax', get: (r) => r.sharpness?.lambdaMax },
  { name: 'trace', get: (r) => r.sharpness?.trace },
  { name: 'perturbation sharpness', get: (r) => r.sharpness?.perturbationMean },
  { name: 'adaptive sharpness (avg)', get: (r) => r.sharpness?.adaptiveAverage },
  { name: 'adaptive sharpness (worst)', get: (r) => r.sharpness?.adaptiveWorst },
  { name: 'relative flatness', get: (r) => r.sharpness?.relativeFlatness },
  { name: "relative flatness (authors' protocol)", get: (r) => r.sharpness?.relativeFlatnessNormalized },
];
export const TARGETS: { name: string; get: (r: RunResult) => number }[] = [
  { name: 'generalisation gap', get: (r) => r.genGap },
  { name: 'test error', get: (r) => 1 - r.test.accuracy },
];

/** The correlation the study's question is about. */
export const MAIN_CORRELATION = { measure: 'λmax', target: 'test error' } as const;

/** Mean over seeds with its bootstrap interval (NaN bounds for fewer than two values; NaN throughout for none). */
export function meanEstimate(values: number[]): Estimate {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { value: NaN, low: NaN, high: NaN };
  const ci = meanInterval(v, INTERVALS);
  return { value: ci.estimate, low: ci.low, high: ci.high };
}

/** The mean of the finite values, NaN when there are none (a measure absent or failed on every run). */
export function finiteMean(values: (number | null | undefined)[]): number {
  const v = values.filter((x): x is number => x !== undefined && x !== null && Number.isFinite(x));
  return v.length ? mean(v) : NaN;
}

/** Kendall τ and Spearman ρ of paired values, with τ's bootstrap interval over the pairs. */
export function rankCorrelation(x: number[], y: number[]): Omit<Correlation, 'measure' | 'target'> {
  const ci = bootstrapInterval(x.length, (cases) => kendallTau(pick(x, cases), pick(y, cases)), INTERVALS);
  return { n: x.length, kendallTau: kendallTau(x, y), spearmanRho: spearmanRho(x, y), tauInterval: { value: ci.estimate, low: ci.low, high: ci.high } };
}

const pick = (v: number[], cases: ArrayLike<number>) => Array.from(cases, (i) => v[i]);

/** Every measure against every target over the converged, probed runs (a run enters a pair only with both numbers finite). */
export function correlations(runs: RunResult[]): Correlation[] {
  const ok = convergedRuns(runs).filter((r) => r.sharpness);
  const out: Correlation[] = [];
  for (const m of MEASURES) {
    for (const t of TARGETS) {
      const pairs = ok.map((r) => [m.get(r), t.get(r)] as const).filter((p): p is [number, number] => Number.isFinite(p[0]) && Number.isFinite(p[1]));
      out.push({ measure: m.name, target: t.name, ...rankCorrelation(pairs.map((p) => p[0]), pairs.map((p) => p[1])) });
    }
  }
  return out;
}

/** λmax against test error, when the correlations hold it. */
export function mainCorrelation(corr: Correlation[]): Correlation | undefined {
  return corr.find((c) => c.measure === MAIN_CORRELATION.measure && c.target === MAIN_CORRELATION.target);
}

export type Verdict = 'supported' | 'contradicted' | 'undecided';

/** Read off the interval only: above 0 → supported, below 0 → contradicted, containing 0 or undefined → undecided. */
export function verdictOf(interval: Estimate): Verdict {
  if (interval.low > 0) return 'supported';
  if (interval.high < 0) return 'contradicted';
  return 'undecided';
}

/** One configuration's converged, probed runs: mean λmax and test accuracy over seeds, with intervals. */
export interface ConfigurationMeans {
  name: string;
  optimizer: string;
  lambdaMax: Estimate;
  accuracy: Estimate;
}

/** Per configuration with converged, probed runs, sharpest (mean λmax) first. */
export function configurationMeans(runs: RunResult[]): ConfigurationMeans[] {
  return [...groupByConfiguration(convergedRuns(runs).filter((r) => r.sharpness))].map(([name, rs]) => ({
    name, optimizer: rs[0].optimizer, lambdaMax: meanEstimate(rs.map((r) => r.sharpness!.lambdaMax)), accuracy: meanEstimate(rs.map((r) => r.test.accuracy)),
  })).sort((a, b) => b.lambdaMax.value - a.lambdaMax.value);
}

/** The pairs (sharper, flatter) whose mean-λmax intervals are disjoint: minima told apart beyond the seed-to-seed spread. */
export function separatedPairs(groups: ConfigurationMeans[]): [string, string][] {
  return groups.flatMap((a, i) => groups.slice(i + 1).filter((b) => a.lambdaMax.low > b.lambdaMax.high).map((b) => [a.name, b.name] as [string, string]));
}

/** Point means over each configuration's converged runs: the sharpest (by λmax) and the most accurate configuration. */
export function extremes(runs: RunResult[]): { sharpest: { name: string; lambdaMax: number }; best: { name: string; accuracy: number } } | undefined {
  const byConfig = [...groupByConfiguration(convergedRuns(runs))].map(([name, rs]) => ({
    name, probed: rs.some((r) => r.sharpness), lambdaMax: finiteMean(rs.map((r) => r.sharpness?.lambdaMax)), accuracy: finiteMean(rs.map((r) => r.test.accuracy)),
  }));
  const sharpest = byConfig.filter((c) => c.probed).sort((a, b) => b.lambdaMax - a.lambdaMax)[0];
  const best = [...byConfig].sort((a, b) => b.accuracy - a.accuracy)[0];
  return sharpest && best ? { sharpest: { name: sharpest.name, lambdaMax: sharpest.lambdaMax }, best: { name: best.name, accuracy: best.accuracy } } : undefined;
}

/** Per configuration with an SGD threshold: the mean over its converged runs of final λmax / (2/η). */
export function stabilityRatios(runs: RunResult[]): { name: string; ratio: number }[] {
  return [...groupByConfiguration(convergedRuns(runs))].flatMap(([name, rs]) => {
    const eos = rs.filter((r) => r.sharpness?.twoOverEta != null);
    return eos.length ? [{ name, ratio: finiteMean(eos.map((r) => r.sharpness!.lambdaMax / r.sharpness!.twoOverEta!)) }] : [];
  });
}

// The slope fit sits below the measures that store slopes (measures/noise.ts); re-exported here with the other statistics.
export { logLogSlope, type SlopeFit };

/** A trace is "at the edge" while λ is within this factor of its threshold. */
export const EDGE = { low: 0.8, high: 1.2 } as const;

/**
 * What a trace of λ against its threshold did: no checks; too few (under three) to call; or, from
 * the ratios λ/threshold, stayed below, hovered at the edge over the last third, fell below after
 * reaching it, ended above, or ended near it. peak and end are ratios; atEdge counts the last third's
 * points within EDGE, of tail.
 */
export type EdgeBehaviour =
  | { kind: 'none' }
  | { kind: 'few'; ratios: number[] }
  | { kind: 'below' | 'hovered' | 'fell' | 'above' | 'near'; peak: number; end: number; atEdge: number; tail: number };

export function edgeBehaviour(values: number[], threshold: number): EdgeBehaviour {
  if (values.length === 0) return { kind: 'none' };
  const ratios = values.map((v) => v / threshold);
  // Hovering, rising or falling are claims about a trace; fewer than three points make none.
  if (ratios.length < 3) return { kind: 'few', ratios };
  const peak = Math.max(...ratios);
  const tail = ratios.slice(Math.floor((2 * ratios.length) / 3));
  const atEdge = tail.filter((r) => r >= EDGE.low && r <= EDGE.high).length;
  const end = ratios.at(-1)!;
  const shape = { peak, end, atEdge, tail: tail.length };
  if (peak < EDGE.low) return { kind: 'below', ...shape };
  if (atEdge === tail.length) return { kind: 'hovered', ...shape };
  if (end < EDGE.low) return { kind: 'fell', ...shape };
  if (end > EDGE.high) return { kind: 'above', ...shape };
  return { kind: 'near', ...shape };
}
