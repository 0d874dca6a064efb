/**
 * Turns study results into the summary table, the rank correlations between sharpness and
 * generalisation, plain-language findings, and report.md. The findings are computed from the
 * numbers — they say whether "flatter generalises better" held in this run, whichever way it went.
 */
import { kendallTau, mean, spearmanRho, std } from '../util/stats';
import type { Correlation, RunResult, StudyResult } from './results';
import { invariantSection } from './rescaling';

/** The reference study's numbers, shown beside ours. */
export const REFERENCE = [
  { configuration: 'Adam_Default', testAccuracy: 98.9, lambdaMax: 6.26 },
  { configuration: 'Sharp_SGD_HighLR', testAccuracy: 98.14, lambdaMax: 9.14 },
  { configuration: 'Flat_SGD_LowLR', testAccuracy: 91.72, lambdaMax: 246.19 },
];

const MEASURES: { name: string; get: (r: RunResult) => number | undefined }[] = [
  { name: 'λmax', get: (r) => r.sharpness?.lambdaMax },
  { name: 'trace', get: (r) => r.sharpness?.trace },
  { name: 'perturbation sharpness', get: (r) => r.sharpness?.perturbationMean },
  { name: 'adaptive sharpness (avg)', get: (r) => r.sharpness?.adaptiveAverage },
  { name: 'adaptive sharpness (worst)', get: (r) => r.sharpness?.adaptiveWorst },
  { name: 'relative flatness', get: (r) => r.sharpness?.relativeFlatness },
];
const TARGETS: { name: string; get: (r: RunResult) => number }[] = [
  { name: 'generalisation gap', get: (r) => r.genGap },
  { name: 'test error', get: (r) => 1 - r.test.accuracy },
];

export function correlations(runs: RunResult[]): Correlation[] {
  const ok = runs.filter((r) => !r.diverged && r.sharpness);
  const out: Correlation[] = [];
  for (const m of MEASURES) {
    for (const t of TARGETS) {
      const pairs = ok.map((r) => [m.get(r), t.get(r)] as const).filter((p): p is [number, number] => Number.isFinite(p[0]) && Number.isFinite(p[1]));
      const x = pairs.map((p) => p[0]);
      const y = pairs.map((p) => p[1]);
      out.push({ measure: m.name, target: t.name, n: pairs.length, kendallTau: kendallTau(x, y), spearmanRho: spearmanRho(x, y) });
    }
  }
  return out;
}

export function findings(runs: RunResult[], corr: Correlation[]): string[] {
  const lines: string[] = [];
  const diverged = runs.filter((r) => r.diverged);
  for (const r of diverged) lines.push(`${r.configuration} (seed ${r.seed}) diverged at step ${r.diverged!.step}; it is left out of the correlations.`);
  const main = corr.find((c) => c.measure === 'λmax' && c.target === 'test error');
  if (!main || main.n < 3 || !Number.isFinite(main.kendallTau)) {
    lines.push('Too few finished runs to rank sharpness against test error.');
    return lines;
  }
  const verdict = main.kendallTau > 0.3 ? 'held' : main.kendallTau < -0.3 ? 'was reversed' : 'was not supported';
  lines.push(
    `"Flatter minima generalise better" ${verdict} in this study: across ${main.n} runs, Kendall τ between λmax and test error is ` +
      `${main.kendallTau.toFixed(2)} (Spearman ρ ${main.spearmanRho.toFixed(2)}); a positive value means sharper minima had higher test error.`,
  );
  const byConfig = groupByConfiguration(runs);
  const bestTrainLoss = Math.min(...[...byConfig.values()].map((rs) => meanOf(rs, (r) => (r.diverged ? undefined : r.train.loss))));
  for (const [name, rs] of byConfig) {
    const loss = meanOf(rs, (r) => (r.diverged ? undefined : r.train.loss));
    // A run whose loss is still far above the others' has not reached a minimum: its "sharpness" is that of a slope.
    if (loss > 3 * bestTrainLoss && loss - bestTrainLoss > 0.1) {
      lines.push(`${name} has not converged in ${rs[0].steps} steps (mean train loss ${loss.toFixed(3)} vs ${bestTrainLoss.toFixed(3)} for the best ` +
        'configuration): its sharpness is measured at a point still descending, not at a minimum; train it longer (epochs) before comparing.');
    }
  }
  const sharpest = [...byConfig].filter(([, rs]) => rs.some((r) => r.sharpness)).sort((a, b) => meanOf(b[1], (r) => r.sharpness?.lambdaMax) - meanOf(a[1], (r) => r.sharpness?.lambdaMax))[0];
  const best = [...byConfig].sort((a, b) => meanOf(b[1], (r) => r.test.accuracy) - meanOf(a[1], (r) => r.test.accuracy))[0];
  if (sharpest && best) {
    lines.push(`Sharpest configuration: ${sharpest[0]} (mean λmax ${meanOf(sharpest[1], (r) => r.sharpness?.lambdaMax).toFixed(2)}); ` +
      `best test accuracy: ${best[0]} (${(100 * meanOf(best[1], (r) => r.test.accuracy)).toFixed(2)}%).`);
  }
  for (const [name, rs] of byConfig) {
    const eos = rs.filter((r) => r.sharpness?.twoOverEta != null && r.sharpness);
    if (eos.length === 0) continue;
    const ratio = meanOf(eos, (r) => r.sharpness!.lambdaMax / r.sharpness!.twoOverEta!);
    lines.push(`${name}: final λmax is ${ratio.toPrecision(2)}× the SGD stability threshold 2/η` +
      (ratio > 0.8 ? ' — at the edge of stability, as Cohen et al. (2021) predict for full-batch-like training.' : '.'));
  }
  return lines;
}

function meanOf(runs: RunResult[], get: (r: RunResult) => number | undefined): number {
  const v = runs.map(get).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? mean(v) : NaN;
}

function groupByConfiguration(runs: RunResult[]): Map<string, RunResult[]> {
  const m = new Map<string, RunResult[]>();
  for (const r of runs) m.set(r.configuration, [...(m.get(r.configuration) ?? []), r]);
  return m;
}

const pm = (values: number[], digits: number, scale = 1) => {
  const v = values.filter(Number.isFinite).map((x) => x * scale);
  if (v.length === 0) return 'n/a';
  return v.length > 1 ? `${mean(v).toFixed(digits)} ± ${std(v).toFixed(digits)}` : v[0].toFixed(digits);
};

export function summaryTable(runs: RunResult[]): string {
  const rows = [
    '| Configuration | Optimizer | Test acc. (%) | Train loss | Gen. gap (pp) | λmax | top-k | trace | perturbation sharpness | 2/η |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const [name, rs] of groupByConfiguration(runs)) {
    const ok = rs.filter((r) => !r.diverged);
    const s = ok.filter((r) => r.sharpness).map((r) => r.sharpness!);
    const topK = s.length ? s[0].topK.map((_, i) => mean(s.map((x) => x.topK[i]))).map((x) => x.toFixed(2)).join(', ') : 'n/a';
    const eta = s[0]?.twoOverEta;
    const note = rs.length > ok.length ? ` (${rs.length - ok.length} of ${rs.length} diverged)` : '';
    rows.push(`| ${name}${note} | ${rs[0].optimizer} | ${pm(ok.map((r) => r.test.accuracy), 2, 100)} | ${pm(ok.map((r) => r.train.loss), 4)} | ` +
      `${pm(ok.map((r) => r.genGap), 2, 100)} | ${pm(s.map((x) => x.lambdaMax), 2)} | ${topK} | ${pm(s.map((x) => x.trace), 1)} | ` +
      `${pm(s.map((x) => x.perturbationMean), 4)} | ${eta == null ? '—' : eta.toFixed(1)} |`);
  }
  return rows.join('\n');
}

export function reportMarkdown(result: StudyResult, charts: string[]): string {
  const a = result.adapter;
  const c = result.config;
  const missing = result.missing ?? [];
  const troubled = result.runs.filter((r) => r.diverged || r.failure);
  const lines = [
    '# Sharpness vs generalisation',
    '',
    ...(missing.length === 0 ? [] : [
      `> **Partial report: ${missing.length} of ${missing.length + result.runs.length} runs are missing** (the study was interrupted): ` +
        `${missing.map((m) => `${m.configuration} seed ${m.seed}`).join(', ')}. Re-run the same command to finish them.`,
      '',
    ]),
    `Adapter: **${a.description || a.device}** (vendor ${a.vendor}, architecture ${a.architecture}${a.software ? ', a software adapter' : ''}), ` +
      `${a.runtime}. Report written ${result.finishedAt}; the ${result.runs.length} runs took ` +
      `${result.runs.reduce((s, r) => s + r.seconds, 0).toFixed(0)} s of training and probing in all.`,
    '',
    `Data: ${JSON.stringify(c.data)}. MLP: ${c.hidden.join('-')} hidden, ${c.activation}; batch ${c.batchSize}, ${c.epochs} epochs, ` +
      `seeds ${c.seeds.join(', ')}. Sharpness on ${c.probe.samples || 'all'} training samples, data loss only (no L2 term).`,
    '',
    '## Results (mean ± sd over seeds)',
    '',
    summaryTable(result.runs),
    '',
    'Gen. gap = train accuracy − test accuracy, in percentage points. λmax by power iteration (tolerance ' +
      `${c.probe.tol}), top-k by Lanczos, trace by Hutchinson (${c.probe.traceSamples} Rademacher vectors), perturbation ` +
      `sharpness = mean loss increase under filter-normalised random perturbations of relative size ρ = ${c.probe.perturbation.rho}.`,
    '',
    ...(troubled.length === 0 ? [] : [
      '## Diverged and failed runs',
      '',
      ...troubled.map((r) => `- ${r.configuration} seed ${r.seed}: ` +
        (r.diverged ? `diverged at step ${r.diverged.step} (${r.diverged.reason})` : '') +
        (r.diverged && r.failure ? '; ' : '') +
        (r.failure ? `${r.failure.stage} failed: ${r.failure.message}` : '')),
      '',
    ]),
    '## Reference study',
    '',
    'The numbers this study is compared with (full MNIST; their architecture and training length are not ours, so compare trends, not values):',
    '',
    '| Configuration | Test acc. (%) | λmax |',
    '| --- | ---: | ---: |',
    ...REFERENCE.map((r) => `| ${r.configuration} | ${r.testAccuracy} | ${r.lambdaMax} |`),
    '',
    '## Does flatter generalise better?',
    '',
    ...result.findings.map((f) => `- ${f}`),
    '',
    '| Measure | Target | n | Kendall τ | Spearman ρ |',
    '| --- | --- | ---: | ---: | ---: |',
    ...result.correlations.map((k) => `| ${k.measure} | ${k.target} | ${k.n} | ${fmt(k.kendallTau)} | ${fmt(k.spearmanRho)} |`),
    '',
    ...invariantSection(result),
    '## Plots',
    '',
    ...charts.map((f) => `![${f}](${f})`),
    '',
  ];
  return lines.join('\n');
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
