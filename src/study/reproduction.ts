/**
 * The reference table reproduced in its own protocol: every reference configuration trained for the
 * same budget (train.maxEpochs, no early stop at the loss target), every run probed for λmax, the
 * runs that did not reach the loss target kept and marked — then set beside the published numbers,
 * with whether the two orderings (by test accuracy, by λmax) agree and by how much. The study's
 * converged-only analysis follows it in the report; this section neither replaces nor feeds it.
 * Numbers in `Reproduction`, words rendered here.
 */
import { kendallTau } from '../util/stats';
import { formatEstimate } from './format';
import { meanEstimate } from './statistics';
import type { Estimate, StudyResult } from './results';
import type { StudyConfig } from './config';

/** The reference study's published MNIST table (test accuracy in %, λmax), set beside ours. */
export const REFERENCE = [
  { configuration: 'Adam_Default', testAccuracy: 98.9, lambdaMax: 6.26 },
  { configuration: 'Sharp_SGD_HighLR', testAccuracy: 98.14, lambdaMax: 9.14 },
  { configuration: 'Flat_SGD_LowLR', testAccuracy: 91.72, lambdaMax: 246.19 },
];

/** A configuration named as in the published table. */
export const isReference = (name: string): boolean => REFERENCE.some((r) => r.configuration === name);

/** Whether this study reproduces the table: reproduction on and some configuration named as in it. */
export function reproduces(config: Pick<StudyConfig, 'reproduction' | 'configurations'>): boolean {
  return config.reproduction && config.configurations.some((c) => isReference(c.name));
}

/** One run of the equal-budget protocol. */
export interface BudgetRun {
  configuration: string;
  seed: number;
  steps: number;
  /** Whether the train loss at the end of the budget was at or below train.lossTarget. */
  reachedTarget: boolean;
  trainLoss: number;
  testAccuracy: number;
  lambdaMax: number;
  lambdaConverged: boolean;
  /** The study's own run was this run (it spent the whole budget), so it was not trained again. */
  reused: boolean;
}

export interface Reproduction {
  /** The budget every run trained for: train.maxEpochs epochs. */
  epochs: number;
  runs: BudgetRun[];
}

export interface ReproducedRow {
  configuration: string;
  published: { testAccuracy: number; lambdaMax: number };
  runs: number;
  /** Runs whose train loss ended above the target (marked, never left out here). */
  aboveTarget: number;
  testAccuracy: Estimate;
  lambdaMax: Estimate;
}

/** An ordering compared: Kendall τ between the published values and our means, and how many pairs agree. */
export interface OrderAgreement {
  tau: number;
  agreeingPairs: number;
  pairs: number;
}

/** The reference configurations this study ran, in the published table's order, with our means over seeds. */
export function reproducedRows(rep: Reproduction): ReproducedRow[] {
  return REFERENCE.flatMap((ref) => {
    const rs = rep.runs.filter((r) => r.configuration === ref.configuration);
    if (rs.length === 0) return [];
    return [{
      configuration: ref.configuration,
      published: { testAccuracy: ref.testAccuracy, lambdaMax: ref.lambdaMax },
      runs: rs.length,
      aboveTarget: rs.filter((r) => !r.reachedTarget).length,
      testAccuracy: meanEstimate(rs.map((r) => 100 * r.testAccuracy)),
      lambdaMax: meanEstimate(rs.map((r) => r.lambdaMax)),
    }];
  });
}

export function orderAgreement(published: number[], ours: number[]): OrderAgreement {
  let agreeingPairs = 0;
  let pairs = 0;
  for (let i = 0; i < published.length; i++) {
    for (let j = i + 1; j < published.length; j++) {
      pairs++;
      if (Math.sign(published[i] - published[j]) === Math.sign(ours[i] - ours[j])) agreeingPairs++;
    }
  }
  return { tau: kendallTau(published, ours), agreeingPairs, pairs };
}

const order = (rows: ReproducedRow[], get: (r: ReproducedRow) => number) =>
  [...rows].sort((a, b) => get(b) - get(a)).map((r) => r.configuration).join(' > ');

export function reproductionSection(result: StudyResult): string[] {
  const rep = result.reproduction;
  if (!rep) return [];
  const rows = reproducedRows(rep);
  if (rows.length === 0) return [];
  const reused = rep.runs.filter((r) => r.reused).length;
  const lines = [
    '## The reference table, reproduced (equal budget)',
    '',
    `The reference study's protocol: every configuration trained for the same budget — here ${rep.epochs} epochs, no stop at the loss target — ` +
      `and every run probed, whether or not it reached the target. ${rep.runs.length} runs (${reused} of them the study's own runs, which spent the ` +
      'whole budget anyway; the others trained again to the full budget), λmax by block subspace iteration on the probe set. Mean [95 % bootstrap interval] over seeds.',
    '',
    '| Configuration | published test acc. (%) | ours (%) | published λmax | ours | runs above the loss target at the end |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.configuration} | ${r.published.testAccuracy} | ${formatEstimate(r.testAccuracy, 2)} | ${r.published.lambdaMax} | ` +
      `${formatEstimate(r.lambdaMax, 2)} | ${r.aboveTarget} of ${r.runs} |`),
    '',
  ];
  if (rows.length >= 2) {
    const describe = (what: string, get: (r: ReproducedRow) => number, pub: (r: ReproducedRow) => number) => {
      const a = orderAgreement(rows.map(pub), rows.map(get));
      const same = a.agreeingPairs === a.pairs;
      return `- By ${what}: published ${order(rows, pub)}; ours ${order(rows, get)} — ${same ? 'the same order' : `${a.agreeingPairs} of ${a.pairs} pairs in the same order`} ` +
        `(Kendall τ ${a.tau.toFixed(2)}).`;
    };
    lines.push(
      describe('test accuracy', (r) => r.testAccuracy.value, (r) => r.published.testAccuracy),
      describe('λmax', (r) => r.lambdaMax.value, (r) => r.published.lambdaMax),
    );
    const sharp = [...rows].sort((a, b) => b.published.lambdaMax - a.published.lambdaMax);
    const [top, bottom] = [sharp[0], sharp.at(-1)!];
    lines.push(`- By how much: the published sharpest configuration (${top.configuration}) has ${(top.published.lambdaMax / bottom.published.lambdaMax).toFixed(1)}× ` +
      `the λmax of the flattest (${bottom.configuration}); here the ratio of the same two is ${(top.lambdaMax.value / bottom.lambdaMax.value).toFixed(2)}×. ` +
      'The published numbers come from full MNIST and another architecture and budget, so the orderings are what can be compared, not the values.', '');
  }
  return lines;
}
