/**
 * The report's edge-of-stability sections and plots: full-batch GD's λmax against 2/η per step size
 * (Cohen et al. 2021; the eos measure's section), and during training SGD's full-data λmax and
 * mini-batch sharpness against 2/η and Adam's preconditioned sharpness against (2 + 2β1)/((1 − β1)·η)
 * (Cohen et al. 2022; the training-sharpness measure's section). The verdicts are classified from
 * the traces by statistics.ts (edgeBehaviour), whichever way they went, and put into words here.
 * Vega-Lite specs, like charts.ts.
 */
import { mean } from '../util/stats';
import type { EosStudy } from './eos';
import type { RunResult, StudyResult } from './results';
import { EDGE, edgeBehaviour } from './statistics';

type Spec = Record<string, unknown>;

const WIDTH = 420;
const HEIGHT = 260;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Lines of value vs step per series, with a dashed rule per series at its threshold. */
function tracesWithThresholds(title: string, yTitle: string, values: { series: string; step: number; value: number }[],
  thresholds: { series: string; value: number }[]): Spec {
  return {
    $schema: SCHEMA, title, width: WIDTH, height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: yTitle },
          color: { field: 'series', type: 'nominal', title: '' },
        },
      },
      {
        data: { values: thresholds },
        mark: { type: 'rule', strokeDash: [6, 4] },
        encoding: { y: { field: 'value', type: 'quantitative' }, color: { field: 'series', type: 'nominal' } },
      },
    ],
  };
}

export function fullBatchSpec(eos: Pick<EosStudy, 'samples' | 'runs'>): Spec {
  const label = (lr: number) => `GD η ${lr}`;
  return tracesWithThresholds(`Full-batch GD on ${eos.samples} samples: λmax (dashed: 2/η)`, 'λmax',
    eos.runs.flatMap((r) => r.trace.map((p) => ({ series: label(r.lr), step: p.step, value: p.lambdaMax }))),
    eos.runs.map((r) => ({ series: label(r.lr), value: r.twoOverEta })));
}

/** The first seed of each configuration that has a trace of the given kind. */
function firstOfEach(runs: RunResult[], kind: 'minibatch' | 'preconditioned'): RunResult[] {
  const seen = new Set<string>();
  return runs.filter((r) => {
    if (r.trainingSharpness?.kind !== kind || seen.has(r.configuration)) return false;
    seen.add(r.configuration);
    return true;
  });
}

export function sgdSpec(runs: RunResult[]): Spec {
  const sgd = firstOfEach(runs, 'minibatch');
  return tracesWithThresholds('SGD: full-data λmax and mini-batch sharpness (dashed: 2/η)', 'sharpness',
    sgd.flatMap((r) => [
      ...r.duringTraining.map((p) => ({ series: `${r.configuration} λmax`, step: p.step, value: p.lambdaMax })),
      ...r.trainingSharpness!.points.map((p) => ({ series: `${r.configuration} mini-batch`, step: p.step, value: p.minibatch! })),
    ]),
    sgd.map((r) => ({ series: `${r.configuration} λmax`, value: r.trainingSharpness!.threshold })));
}

export function adamSpec(runs: RunResult[]): Spec {
  const adam = firstOfEach(runs, 'preconditioned');
  return tracesWithThresholds('Adam: preconditioned sharpness λmax(P⁻¹H) (dashed: (2+2β₁)/((1−β₁)η))', 'λmax(P⁻¹H)',
    adam.flatMap((r) => r.trainingSharpness!.points.map((p) => ({ series: r.configuration, step: p.step, value: p.preconditioned! }))),
    adam.map((r) => ({ series: r.configuration, value: r.trainingSharpness!.threshold })));
}

/** The section's charts, by file name (without .svg); only those with data. */
export function eosCharts(result: StudyResult): Record<string, Spec> {
  const out: Record<string, Spec> = {};
  if (result.eos?.runs.length) out['eos-full-batch'] = fullBatchSpec(result.eos);
  if (firstOfEach(result.runs, 'minibatch').length) out['eos-sgd'] = sgdSpec(result.runs);
  if (firstOfEach(result.runs, 'preconditioned').length) out['eos-adam'] = adamSpec(result.runs);
  return out;
}

/** Two decimals, or two significant digits below 0.1: a ratio of 0.0043 must not read as 0.00. */
const f2 = (x: number) => (!Number.isFinite(x) ? 'n/a' : Math.abs(x) >= 0.1 || x === 0 ? x.toFixed(2) : x.toPrecision(2));

/** What a trace of λ against its threshold did (statistics.ts edgeBehaviour), in words. */
export function edgeVerdict(values: number[], threshold: number): string {
  const e = edgeBehaviour(values, threshold);
  const band = `${EDGE.low}–${EDGE.high}×`;
  switch (e.kind) {
    case 'none': return 'no measurements';
    case 'few': return `${e.ratios.length} check${e.ratios.length > 1 ? 's' : ''} only: λ/threshold ${e.ratios.map((r) => `${f2(r)}×`).join(', ')}`;
    case 'below': return `stayed below the threshold (peak ${f2(e.peak)}×)`;
    case 'hovered': return `reached the threshold and hovered there (last third within ${band}; peak ${f2(e.peak)}×, end ${f2(e.end)}×)`;
    case 'fell': return `reached the threshold (peak ${f2(e.peak)}×), then fell below it (end ${f2(e.end)}×)`;
    case 'above': return `ended above the threshold (peak ${f2(e.peak)}×, end ${f2(e.end)}×)`;
    case 'near': return `reached the threshold and ended near it (peak ${f2(e.peak)}×, end ${f2(e.end)}×; ${e.atEdge} of the last ${e.tail} points within ${band})`;
  }
}

/** The full-batch experiment's section (eos.ts's measure): each η's trace against 2/η (nothing when it did not run). */
export function fullBatchSection(result: Pick<StudyResult, 'eos' | 'config'>): string[] {
  const eos = result.eos;
  const lines: string[] = [];
  if (eos && eos.runs.length) {
    lines.push('## Edge of stability: full-batch gradient descent', '',
      `Full-batch GD (every step on all ${eos.samples} samples) from the study's initialisation (seed ${eos.seed}, ` +
      `${eos.widths.join('-')}), λmax every few steps by power iteration warm-started from the previous eigenvector ` +
      `(${result.config.eos.powerIters} iterations; λmax at θ₀ ${f2(eos.lambdaAtInit)}). Cohen et al. (2021) predict that λmax rises ` +
      `to 2/η and hovers there while the loss keeps falling non-monotonically. ${eos.seconds.toFixed(0)} s for all step sizes.`, '',
      '| η | 2/η | steps | peak λmax | final λmax | final λmax/(2/η) | loss rises | final loss | what λmax did |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of eos.runs) {
      const values = r.trace.map((p) => p.lambdaMax);
      const end = values.at(-1) ?? NaN;
      const rises = r.losses.filter((l, i) => i > 0 && l > r.losses[i - 1]).length;
      lines.push(`| ${r.lr} | ${f2(r.twoOverEta)} | ${r.steps}${r.diverged ? ' (diverged)' : ''} | ${f2(Math.max(...values))} | ${f2(end)} | ` +
        `${f2(end / r.twoOverEta)} | ${rises} | ${(r.losses.at(-1) ?? NaN).toFixed(4)} | ${edgeVerdict(values, r.twoOverEta)} |`);
    }
    lines.push('', '"Loss rises" counts steps where the full-batch loss went up: zero for a stable descent, many at the edge of stability. ' +
      `"At the threshold" means within ${EDGE.low}–${EDGE.high}× of it; power iteration's Rayleigh quotient can only under-estimate λmax.`, '');
  }
  return lines;
}

/** The during-training traces' section (training-sharpness.ts's measure): SGD's mini-batch and Adam's preconditioned sharpness against their thresholds. */
export function edgeDuringTrainingSection(result: Pick<StudyResult, 'runs'>): string[] {
  const lines: string[] = [];
  const during = result.runs.filter((r) => r.trainingSharpness && r.trainingSharpness.points.length > 0);
  if (during.length) {
    lines.push('## Edge of stability during training', '',
      'At each during-training check: for SGD, λmax on one fresh mini-batch of the run\'s batch size (the mini-batch sharpness), ' +
      'against 2/η; for Adam, the preconditioned sharpness λmax(P⁻¹H) with Adam\'s own P = (1 − β₁ᵗ)·diag(√v̂ + ε) ' +
      '(Cohen et al. 2022), against (2 + 2β₁)/((1 − β₁)η) = 38/η at β₁ = 0.9. Mean over seeds of the last check.', '',
      '| Configuration | measure | threshold | final value | final / threshold | what it did (first seed) |',
      '| --- | --- | ---: | ---: | ---: | --- |');
    const names = [...new Set(during.map((r) => r.configuration))];
    for (const name of names) {
      const rs = during.filter((r) => r.configuration === name);
      const t = rs[0].trainingSharpness!;
      const value = (p: { minibatch?: number; preconditioned?: number }) => (t.kind === 'minibatch' ? p.minibatch! : p.preconditioned!);
      const finals = rs.map((r) => value(r.trainingSharpness!.points.at(-1)!));
      lines.push(`| ${name} | ${t.kind === 'minibatch' ? 'mini-batch λmax' : 'λmax(P⁻¹H)'} | ${f2(t.threshold)} | ${f2(mean(finals))} | ` +
        `${f2(mean(finals) / t.threshold)} | ${edgeVerdict(t.points.map(value), t.threshold)} |`);
    }
    lines.push('');
  }
  return lines;
}
