/**
 * The noise measure's section of the study report, "Does SGD's noise follow the curvature?", and its
 * log-log chart (one panel per configuration), from the per-run NoiseResult (noise.ts). The pooled
 * fits and the verdicts are noise-fits.ts's: a prediction is "consistent" when its value (or range)
 * meets the bootstrap 95 % interval and "rejected" when it lies outside; an undefined interval
 * decides nothing. Also the measure's words for one probe (noiseSummary, spreadNote), which the
 * command line and the one-minimum report print. Browser-safe.
 */
import type { ProbeSettings } from './measure';
import type { NoiseResult } from './noise';
import { pooledSlopes, predictionVerdict } from './noise-fits';
import type { ProbedRun } from './results';
import type { SlopeFit } from '../util/bootstrap';

const fixed = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
const precise = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toPrecision(3));

/** A slope with its interval and count, as the report and the command line print it. */
export const slopeText = (s: SlopeFit | null) => (s ? `${fixed(s.slope)} [${fixed(s.low)}, ${fixed(s.high)}] (n = ${s.n})` : 'n/a');

/** Why the run has no stationary spread or no slope of it, in words (an older results file's stored sentence as it is); null when it has both. */
export function spreadNote(n: Pick<NoiseResult, 'spreadSkipped' | 'note' | 'optimizer' | 'lr' | 'batchSize'>): string | null {
  const k = n.spreadSkipped;
  if (!k) return n.note ?? null;
  switch (k.reason) {
    case 'no-optimizer': return 'no optimiser given (an imported model: pass --lr and --batch-size for the SGD continuation); gradient noise only';
    case 'adaptive-optimizer': return `${n.optimizer} preconditions its steps by running second moments, so the SGD prediction does not apply; gradient noise only`;
    case 'continuation-off': return 'the continuation is off (probe.noise.steps = 0)';
    case 'batch-exceeds-probe': return `the batch size ${n.batchSize} exceeds the ${k.probeSamples} probe samples; no continuation`;
    case 'too-slow': return `at η = ${n.lr} even the sharpest direction (λ ${k.sharpest.toPrecision(3)}) relaxes too slowly for ${k.steps} steps ` +
      `(it needs ≥ ${k.needed}); the continuation was skipped — raise probe.noise.steps to measure σ²`;
    case 'few-equilibrated': return `only ${k.equilibrated} of ${k.directions} directions equilibrated within ${k.steps} steps ` +
      '(each needs ≥ 20 relaxation times (1 − β)/(ηλ)); no spread slope — raise probe.noise.steps';
  }
}

/** One probe's noise measurement in a few lines (the CLI's probe commands, the imported model's report). */
export function noiseSummary(n: NoiseResult): string {
  return [
    `gradient noise along ${n.directions.length} directions: log c vs log λ slope γ = ${slopeText(n.noiseSlope)}; top eigen-directions only ${slopeText(n.noiseSlopeTop)}`,
    n.continuation ? `stationary spread (${n.continuation.stepsRun} steps): log σ² vs log λ' slope ${slopeText(n.spreadSlope)}, median σ²/predicted ${precise(n.medianRatio)}` : '',
    spreadNote(n) ? `note: ${spreadNote(n)}` : '',
    n.unresolvedSkipped ? `passed over ${n.unresolvedSkipped} near-degenerate eigenpair${n.unresolvedSkipped === 1 ? '' : 's'} (gap to a neighbour below the residual: the vector is not resolved)` : '',
    `(${n.seconds.toFixed(1)} s)`,
  ].filter(Boolean).join('\n');
}

/** The chart's file stem (noise-vs-curvature.svg next to report.md). */
export const NOISE_CHART = 'noise-vs-curvature';

/** Predictions for γ in c ∝ λ^γ. */
const NOISE_PREDICTIONS: { who: string; range: [number, number] }[] = [
  { who: 'isotropic noise, Σ ∝ H⁻¹ (Mandt et al. 2017; the seed): γ = 0', range: [0, 0] },
  { who: 'C ≈ H/B (Zhu et al. 2019; Xie et al. 2021): γ = 1', range: [1, 1] },
  { who: 'C_ii ∝ H_ii^γ, 1 ≤ γ ≤ 2 (Zhang, Yang & Tu 2026)', range: [1, 2] },
];

/** Predictions for the slope of σ² ∝ λ^s. */
const SPREAD_PREDICTIONS: { who: string; range: [number, number] }[] = [
  { who: 'Σ ∝ H⁻¹ (the framework\'s claim; isotropic noise): slope −1', range: [-1, -1] },
  { who: 'C ∝ H: σ² = ηc/(2Bλ) flat, slope 0', range: [0, 0] },
];


/** The section from the study's runs and its probe settings (probe.noise, which every noise record was measured with). */
export function noiseSection(all: readonly ProbedRun[], settings: ProbeSettings): string[] {
  const runs = all.filter((r) => r.noise);
  if (runs.length === 0 || !settings.noise) return [];
  const n = settings.noise;
  const pooled = pooledSlopes(runs);
  const lines = [
    '## Does SGD\'s noise follow the curvature?',
    '',
    `Along the top ${n.directions} Hessian eigenvectors and ${n.bulk} random unit directions in the bulk (eigenvectors projected out), ` +
      `on the ${runs[0].noise!.samples} probe samples: λ = u·Hu of the data loss, c = Var_s(u·∇ℓ_s) from per-sample forward tangents ` +
      `(no per-sample gradient is stored). For SGD runs the run's own optimiser continues from the minimum for ${n.burnIn} + ${n.steps} steps ` +
      `on minibatches of the run's batch size drawn from the same samples, recording u·θ every ${n.recordEvery} steps; σ² is the variance ` +
      `around a linear trend with a batch-means error (${n.batches} batches). The continuation's curvature includes the coupled L2 term, ` +
      'λ\' = λ + wd. Prediction (linearised SGD, heavy-ball β): σ² = η·c\'(1+β)/(λ\'(1−β)(2(1+β) − ηλ\')), c\' = c(1 − B/N)/B, which is ' +
      'η·c/(2Bλ) for small steps. Only directions whose window spans ≥ 20 relaxation times (1−β)/(ηλ\') and whose effective sample size ' +
      'reaches the batch count enter the σ² slope. Adam runs: c vs λ only (their preconditioned step makes the SGD prediction inapplicable). ' +
      'Intervals are bootstrap 95 % percentile intervals over directions; "consistent" means the prediction meets the interval.',
    '',
    '| Configuration | γ: log c vs log λ [95 %] | γ within the top eigen-directions | σ² slope: log σ² vs log λ\' [95 %] | median σ²/predicted |',
    '| --- | --- | --- | --- | ---: |',
    ...pooled.map((p) => {
      const ratios = p.runs.map((r) => r.noise!.medianRatio).filter((x): x is number => x !== null);
      return `| ${p.configuration} | ${slopeText(p.noise)} | ${slopeText(p.noiseTop)} | ${p.optimizer === 'sgd' ? slopeText(p.spread) : 'not run (adaptive optimiser)'} | ` +
        `${ratios.length ? ratios.map((x) => precise(x)).join(', ') : 'n/a'} |`;
    }),
    '',
    'The bulk directions sit decades below the top eigen-directions in λ, so γ over all directions is mostly the contrast ' +
      'between the two groups; the top-only γ (a narrow λ range, hence a wide interval) is the shape within the outliers.',
    '',
  ];
  for (const p of pooled) {
    lines.push(`**${p.configuration}** (seeds pooled, ${p.noise.n} directions):`);
    for (const pr of NOISE_PREDICTIONS) {
      lines.push(`- noise, ${pr.who}: **${predictionVerdict(p.noise, pr.range)}** (γ ${slopeText(p.noise)}; within the top: ${predictionVerdict(p.noiseTop, pr.range)})`);
    }
    if (p.optimizer === 'sgd') {
      for (const pr of SPREAD_PREDICTIONS) lines.push(`- spread, ${pr.who}: **${predictionVerdict(p.spread, pr.range)}** (slope ${slopeText(p.spread)})`);
      if (p.spread && Number.isFinite(p.noise.slope)) {
        lines.push(`- spread vs its own noise: the linearised model predicts slope γ − 1 = ${fixed(p.noise.slope - 1)}: ` +
          `**${predictionVerdict(p.spread, [p.noise.low - 1, p.noise.high - 1])}**`);
      }
    }
    for (const r of p.runs) if (spreadNote(r.noise!)) lines.push(`- seed ${r.seed}: ${spreadNote(r.noise!)}`);
    lines.push('');
  }
  lines.push('Per run and direction (λ, c, σ² ± error, σ²/predicted; * = not equilibrated):', '');
  lines.push('| Run | kind | λ | c | σ² ± err | σ²/pred. |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of runs) {
    for (const d of r.noise!.directions) {
      const s = d.spread;
      lines.push(`| ${r.configuration} s${r.seed} | ${d.kind} | ${precise(d.lambda)} | ${precise(d.c)} | ` +
        `${s ? `${precise(s.variance)} ± ${precise(s.stdError)}${s.equilibrated ? '' : ' *'}` : '—'} | ${s ? precise(s.ratio) : '—'} |`);
    }
  }
  lines.push('', `Noise part per run: ${runs.map((r) => `${r.configuration} s${r.seed} ${r.noise!.seconds.toFixed(1)} s`).join(', ')}.`, '');
  lines.push(`![${NOISE_CHART}.svg](${NOISE_CHART}.svg)`, '');
  return lines;
}

/** Log-log points per configuration panel: c and (SGD) σ² against λ, eigen- and bulk directions marked. */
export function noiseChartSpec(runs: readonly ProbedRun[]): Record<string, unknown> {
  const values = runs.filter((r) => r.noise).flatMap((r) => r.noise!.directions.flatMap((d) => [
    ...(d.lambda > 0 && d.c > 0 ? [{ configuration: r.configuration, seed: r.seed, kind: d.kind, quantity: 'c = Var_s(u·∇ℓ_s)', lambda: d.lambda, value: d.c }] : []),
    ...(d.spread && d.spread.lambdaRegularised > 0 && d.spread.variance > 0
      ? [{ configuration: r.configuration, seed: r.seed, kind: d.kind, quantity: d.spread.equilibrated ? 'σ² (stationary)' : 'σ² (not equilibrated)', lambda: d.spread.lambdaRegularised, value: d.spread.variance }]
      : []),
    ...(d.spread?.predicted ? [{ configuration: r.configuration, seed: r.seed, kind: d.kind, quantity: 'σ² predicted (linearised SGD)', lambda: d.spread.lambdaRegularised, value: d.spread.predicted }] : []),
  ]));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Gradient noise c and weight spread σ² against curvature λ (log-log)',
    data: { values },
    facet: { column: { field: 'configuration', type: 'nominal', title: null } },
    spec: {
      width: 260, height: 220,
      mark: { type: 'point', filled: true, size: 50 },
      encoding: {
        x: { field: 'lambda', type: 'quantitative', title: 'λ = u·Hu', scale: { type: 'log' } },
        y: { field: 'value', type: 'quantitative', title: 'c or σ²', scale: { type: 'log' } },
        color: { field: 'quantity', type: 'nominal', title: null },
        shape: { field: 'kind', type: 'nominal', title: 'direction' },
        tooltip: [{ field: 'configuration' }, { field: 'seed' }, { field: 'kind' }, { field: 'quantity' }, { field: 'lambda' }, { field: 'value' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
