/**
 * Turns study results into report.md: a one-paragraph answer to the two questions (does flatness
 * predict generalisation here; which knobs select the basin), then the evidence — the summary
 * table, unconverged and failed runs, rank correlations, findings, the reference study, plots.
 *
 * Every number that carries a conclusion has a 95 % percentile-bootstrap interval, and every verdict
 * is read off one (statistics.ts: supported when the interval lies above 0, contradicted when below,
 * undecided when it contains 0 or is undefined). Every sentence here is rendered from the numbers of
 * results.json at report time — none is stored — so `hessian-gpu report` re-renders an older file.
 *
 * Only converged runs enter the correlations and the answer: a run that spent its budget above the
 * train-loss target was measured on a slope, not at a minimum, and is listed separately.
 *
 * The report is REPORT_SECTIONS, in order: each section is a function of the results returning its
 * markdown lines ([] to leave itself out). This module is the frame — the header, the reproduced
 * table before the answer, the shared tables, the reference and plots — and every measure renders
 * its own part from its module: its section (Measure.studySection; a study-level measure's
 * `section`), its summary-table columns (studyColumns) and its note beneath them (studyNote), each
 * placed by its `order`.
 */
import { mean } from '../util/stats';
import { MEASURES } from '../measures/registry';
import type { Measure, StudyColumn } from '../measures/measure';
import { formatEstimate } from './format';
import { REFERENCE, reproductionSection } from './reproduction';
import { formatDuration, plural } from '../util/words';
import type { Correlation, DataUsed, Estimate, RunResult, Sharpness, StudyResult } from './results';
import type { SettingsSource } from './config';
import { sweepSection } from './sweep-report';
import { convergedRuns, groupByConfiguration, unconvergedRuns } from './run-sets';
import { STUDY_MEASURES, TRAINING_MEASURES } from './study-measures';
import {
  configurationMeans, extremes, finiteMean, mainCorrelation, meanEstimate, separatedPairs, stabilityRatios, verdictOf, type ConfigurationMeans,
} from './statistics';

const interval = (e: Estimate) => (Number.isFinite(e.low) ? `[${e.low.toFixed(2)}, ${e.high.toFixed(2)}]` : 'undefined (too few runs)');

type TrainRule = StudyResult['config']['train'];

/**
 * The report's opening paragraph, decided by intervals (statistics.ts): the verdict on λmax vs test
 * error (and the other measures), then which configurations' minima differ in sharpness beyond the
 * seed-to-seed spread (disjoint intervals of mean λmax), then what was left out as unconverged.
 */
export function answerParagraph(runs: RunResult[], corr: Correlation[], rule: TrainRule): string {
  const parts: string[] = [];
  const main = mainCorrelation(corr);
  if (!main || main.n < 3) {
    parts.push(`**Does flatness predict generalisation here?** Undecided: only ${main?.n ?? 0} converged, probed runs — too few to rank.`);
  } else {
    const v = verdictOf(main.tauInterval);
    const meaning = {
      supported: 'the interval lies above 0: sharper minima had higher test error',
      contradicted: 'the interval lies below 0: sharper minima had lower test error, the opposite of the hypothesis',
      undecided: 'the interval contains 0, so these runs cannot tell',
    }[v];
    const others = corr.filter((c) => c.target === main.target && c.measure !== main.measure)
      .map((c) => `${c.measure} ${verdictOf(c.tauInterval)} (τ ${fmt(c.kendallTau)}, ${interval(c.tauInterval)})`);
    parts.push(`**Does flatness predict generalisation here?** ${capital(v)}: across ${main.n} converged runs, Kendall τ between λmax ` +
      `and test error is ${fmt(main.kendallTau)} (95 % bootstrap interval ${interval(main.tauInterval)}); ${meaning}.` +
      (others.length ? ` Other measures against test error: ${others.join('; ')}.` : ''));
  }
  const groups = configurationMeans(runs);
  const describe = (g: ConfigurationMeans) => `${g.name} — ${g.optimizer}: λmax ${formatEstimate(g.lambdaMax, 2)}, test accuracy ${formatEstimate(g.accuracy, 2, 100)} %`;
  if (groups.length < 2) {
    parts.push('**Which knobs select the basin?** Not answerable here: fewer than two configurations have converged runs.');
  } else {
    const apart = separatedPairs(groups).map(([a, b]) => `${a} over ${b}`);
    parts.push(`**Which knobs select the basin?** ` + (apart.length
      ? `The optimizer settings do, by sharpness: mean λmax intervals over seeds separate ${apart.join(', ')}`
      : 'None, by sharpness, at this number of seeds: every configuration\'s mean-λmax interval overlaps another\'s') +
      ` (${groups.map(describe).join('; ')}).`);
  }
  const left = [...groupByConfiguration(unconvergedRuns(runs))];
  if (left.length) {
    parts.push(`Left out: ${left.map(([name, rs]) => `${name} (${rs.length} of ${plural(runs.filter((r) => r.configuration === name).length, 'seed')})`).join(', ')} ` +
      `did not reach train loss ≤ ${rule.lossTarget} within ${plural(rule.maxEpochs, 'epoch')}, so the study says nothing about ${left.length > 1 ? 'their basins' : 'its basin'}.`);
  }
  return parts.join(' ');
}

/** The findings listed under the evidence: diverged and unconverged runs, the verdict, the extremes, the edge of stability. */
export function findings(runs: RunResult[], corr: Correlation[], rule: TrainRule): string[] {
  const lines: string[] = [];
  for (const r of runs.filter((x) => x.diverged)) lines.push(`${r.configuration} (seed ${r.seed}) diverged at step ${r.diverged!.step}; it is left out of the correlations.`);
  for (const [name, rs] of groupByConfiguration(unconvergedRuns(runs))) {
    lines.push(`${name}: ${rs.length} of ${plural(runs.filter((r) => r.configuration === name).length, 'seed')} did not reach train loss ≤ ${rule.lossTarget} ` +
      `within ${plural(rule.maxEpochs, 'epoch')} (${rs[0].steps} steps; mean train loss ${finiteMean(rs.map((r) => r.train.loss)).toFixed(3)}): measured on a slope, ` +
      'not at a minimum, so left out of the correlations (see Unconverged runs).');
  }
  const main = mainCorrelation(corr);
  if (!main || main.n < 3 || !Number.isFinite(main.kendallTau)) {
    lines.push('Too few converged runs to rank sharpness against test error.');
    return lines;
  }
  lines.push(`"Flatter minima generalise better" is ${verdictOf(main.tauInterval)} by this study: across ${main.n} converged runs, Kendall τ between ` +
    `λmax and test error is ${main.kendallTau.toFixed(2)} (95 % bootstrap interval ${interval(main.tauInterval)}; Spearman ρ ${main.spearmanRho.toFixed(2)}); ` +
    'a positive value means sharper minima had higher test error.');
  const ends = extremes(runs);
  if (ends) {
    lines.push(`Sharpest configuration: ${ends.sharpest.name} (mean λmax ${ends.sharpest.lambdaMax.toFixed(2)}); ` +
      `best test accuracy: ${ends.best.name} (${(100 * ends.best.accuracy).toFixed(2)}%).`);
  }
  for (const { name, ratio } of stabilityRatios(runs)) {
    lines.push(`${name}: final λmax is ${ratio.toPrecision(2)}× the SGD stability threshold 2/η` +
      (ratio > 0.8 ? ' — at the edge of stability, as Cohen et al. (2021) predict for full-batch-like training.' : '.'));
  }
  return lines;
}

/**
 * One row per configuration over its converged runs, and a separate row for its unconverged ones
 * (never averaged together): means with their 95 % bootstrap intervals over seeds. The shared
 * columns (runs, steps, accuracy, loss, gap; 2/η last) are the frame's, each measure's column its
 * own (Measure.studyColumns, placed by order).
 */
export function summaryTable(runs: RunResult[], measures: readonly Measure[] = MEASURES): string {
  const columns = measures.flatMap((m) => m.studyColumns ?? []).sort((a, b) => a.order - b.order);
  const cell = (c: StudyColumn, s: Sharpness[]) => ('value' in c
    ? formatEstimate(meanEstimate(s.map(c.value)), c.digits)
    : s.length ? c.list(s[0]).map((_, i) => mean(s.map((x) => c.list(x)[i]))).map((x) => x.toFixed(c.digits)).join(', ') : 'n/a');
  const rows = [
    `| Configuration | Optimizer | Runs | Steps | Test acc. (%) | Train loss | Gen. gap (pp) | ${columns.map((c) => `${c.header} | `).join('')}2/η |`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: | ${columns.map((c) => ('value' in c ? '---: | ' : '--- | ')).join('')}---: |`,
  ];
  for (const { name, all, label, rs } of rowGroups(runs)) {
    const diverged = all.length - all.filter((r) => !r.diverged).length;
    const s = rs.filter((r) => r.sharpness).map((r) => r.sharpness!);
    const eta = s[0]?.twoOverEta;
    const note = diverged && label === name ? ` (${diverged} of ${all.length} diverged)` : '';
    const est = (get: (r: RunResult) => number, digits: number, scale = 1) => formatEstimate(meanEstimate(rs.map(get)), digits, scale);
    const [fewest, most] = [Math.min(...rs.map((r) => r.steps)), Math.max(...rs.map((r) => r.steps))];
    const steps = !rs.length ? 'n/a' : fewest === most ? `${most}` : `${fewest}–${most}`;
    rows.push(`| ${label}${note} | ${all[0].optimizer} | ${rs.length} | ${steps} | ${est((r) => r.test.accuracy, 2, 100)} | ${est((r) => r.train.loss, 4)} | ` +
      `${est((r) => r.genGap, 2, 100)} | ${columns.map((c) => `${cell(c, s)} | `).join('')}${eta == null ? '—' : eta.toFixed(1)} |`);
  }
  return rows.join('\n');
}

/** Each configuration's converged runs, then its unconverged ones as a row of their own (never averaged together). */
function rowGroups(runs: RunResult[]): { name: string; all: RunResult[]; label: string; rs: RunResult[] }[] {
  return [...groupByConfiguration(runs)].flatMap(([name, all]) => {
    const sets: [string, RunResult[]][] = [[name, convergedRuns(all)], [`${name} (unconverged)`, unconvergedRuns(all)]];
    return sets.filter(([, rs], i) => rs.length > 0 || (i === 0 && unconvergedRuns(all).length === 0)).map(([label, rs]) => ({ name, all, label, rs }));
  });
}

/**
 * λmax of each layer's own Hessian block (weights and biases of one layer, the rest held fixed), as
 * the table's rows group runs: which layer carries the sharpness, and how far the whole exceeds
 * its largest block (cross-layer curvature).
 */
export function perLayerTable(runs: RunResult[]): string {
  const probed = runs.filter((r) => r.sharpness?.perLayer?.length);
  if (probed.length === 0) return '';
  const layers = probed[0].sharpness!.perLayer;
  const rows = [
    `| Configuration | ${layers.map((l) => `layer ${l.layer + 1} (${l.params.toLocaleString('en-US')} parameters)`).join(' | ')} | λmax / largest block |`,
    `| --- | ${layers.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const { label, rs } of rowGroups(probed)) {
    const s = rs.map((r) => r.sharpness!);
    const cells = layers.map((_, i) => formatEstimate(meanEstimate(s.map((x) => x.perLayer[i].lambdaMax)), 2));
    const ratio = formatEstimate(meanEstimate(s.map((x) => x.lambdaMax / Math.max(...x.perLayer.map((l) => l.lambdaMax)))), 2);
    const open = s.flatMap((x) => x.perLayer).filter((l) => !l.converged).length;
    rows.push(`| ${label}${open ? ` (${plural(open, 'block')} NOT converged)` : ''} | ${cells.join(' | ')} | ${ratio} |`);
  }
  return rows.join('\n');
}

/** A report section: markdown lines from the results ([] leaves the section out). */
export type ReportSection = (result: StudyResult, charts: string[]) => string[];

function headerSection(result: StudyResult): string[] {
  const a = result.adapter;
  const c = result.config;
  const missing = result.missing ?? [];
  const trainS = result.runs.reduce((s, r) => s + (r.trainSeconds ?? 0), 0);
  const totalS = result.runs.reduce((s, r) => s + r.seconds, 0);
  return [
    '# Sharpness vs generalisation',
    '',
    ...(missing.length === 0 ? [] : [
      `> **Partial report: ${missing.length} of ${missing.length + result.runs.length} runs are missing** (the study was interrupted): ` +
        `${missing.map((m) => `${m.configuration} seed ${m.seed}`).join(', ')}. Re-run the same command to finish them.`,
      '',
    ]),
    `Adapter: **${a.description || a.device}** (vendor ${a.vendor}, architecture ${a.architecture}${a.software ? ', a software adapter' : ''}), ` +
      `${a.runtime}. Report written ${result.finishedAt}; ${result.runs.length === 1 ? 'the run took' : `the ${result.runs.length} runs took`} ${totalS.toFixed(0)} s in all ` +
      `(${trainS.toFixed(0)} s of training, ${(totalS - trainS).toFixed(0)} s of checkpointing and probing).` +
      (result.estimate ? ` Estimated before the start: at most ~${formatDuration(result.estimate.seconds)} for ${plural(result.estimate.runs, 'run')} ` +
        `(every budget spent); this invocation took ${formatDuration((Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000)}.` : ''),
    '',
    `Data: ${result.data ? describeData(result.data) : JSON.stringify(c.data)}. MLP: ${c.hidden.join('-')} hidden, ${c.activation}; ` +
      `${batchSizes(c)}; each run trains until the ` +
      `full training set's loss is ≤ ${c.train.lossTarget} (checked every epoch; converged) or for at most ${plural(c.train.maxEpochs, 'epoch')} ` +
      `(unconverged: listed, left out of the correlations); seeds ${c.seeds.join(', ')}. ` +
      `Sharpness${result.data ? '' : ` on ${c.probe.samples || 'all'} training samples`} of the data loss only (no L2 term). ` +
      'Intervals: 95 % percentile bootstrap (seeds for means, runs for correlations).',
    '',
    ...(result.settings ? [settingsLine(result.settings), ''] : []),
  ];
}

/** Which settings the config file gave and which came from the embedded default. */
function settingsLine(s: SettingsSource): string {
  if (!s.file) return 'Settings: the embedded default (configs/default.json), no config file.';
  return `Settings: ${s.file}` + (s.defaulted.length ? `; from the embedded default: ${s.defaulted.map((p) => `\`${p}\``).join(', ')}.` : ', every setting given.');
}

/** The batch size(s) the runs used: a sweep's cells (or any configuration) may override the shared one. */
function batchSizes(c: StudyResult['config']): string {
  const sizes = [...new Set(c.configurations.map((r) => r.batchSize ?? c.batchSize))].sort((a, b) => a - b);
  return sizes.length === 1 ? `batch ${sizes[0]}` : `batch ${sizes.join(', ')} (per configuration)`;
}

/** The samples used, in words: "mnist-10k: 500 training samples (50, 56, … per class 0–9), 2,000 test samples; probe on 500". */
export function describeData(d: DataUsed): string {
  const source = d.name.replace(/\/train$/, '');
  const during = d.during === null ? '' : `, λmax during training on the first ${d.during}`;
  return `${source}: ${d.train.toLocaleString('en-US')} training samples (${d.trainClasses.join(', ')} of classes 0–${d.trainClasses.length - 1}), ` +
    `${d.test.toLocaleString('en-US')} test samples; probes on ${d.probe === d.train ? 'all' : `the first ${d.probe.toLocaleString('en-US')}`} training samples${during}`;
}

function answerSection(result: StudyResult): string[] {
  return ['## Answer', '', answerParagraph(result.runs, result.correlations, result.config.train), ''];
}

function resultsSection(result: StudyResult): string[] {
  const c = result.config;
  const layerTable = perLayerTable(result.runs);
  return [
    '## Results (mean [95 % bootstrap interval] over seeds)',
    '',
    summaryTable(result.runs),
    '',
    'Gen. gap = train accuracy − test accuracy, in percentage points. Steps = the range over seeds. ' + estimatorNote(result) +
      ` A percentile-bootstrap interval never reaches past the observed values, so over ${c.seeds.length} seeds it is a floor on the ` +
      'uncertainty (it under-covers for so few), not a guarantee.',
    '',
    ...(layerTable ? ['Per-layer λmax: the largest eigenvalue of each layer\'s own Hessian block (its weights and biases, the other layers held fixed), ' +
      'all layers in one block subspace iteration; λmax / largest block > 1 is curvature that couples the layers.', '', layerTable, ''] : []),
  ];
}

/**
 * How each number of the table was produced, from the runs themselves: each measure's own note
 * (Measure.studyNote: the solver, how many runs converged, for the stochastic estimates the probes
 * spent and the width of their intervals), in its order.
 */
export function estimatorNote(result: StudyResult, measures: readonly Measure[] = MEASURES): string {
  const probed = result.runs.filter((r) => !r.diverged && r.sharpness);
  // Each note counts the runs its measure ran on: a run whose configuration names its measures (a grid cell's) ran only those.
  const ranOn = (m: Measure) => probed.filter((r) => !Array.isArray(r.inputs?.measures) || (r.inputs.measures as string[]).includes(m.name)).map((r) => r.sharpness!);
  return measures.flatMap((m) => (m.studyNote ? [{ ...m.studyNote, runs: ranOn(m) }] : [])).sort((a, b) => a.order - b.order)
    .map((n) => n.text(n.runs, result.config.probe)).filter(Boolean).join(' ');
}

function unconvergedSection(result: StudyResult): string[] {
  const left = unconvergedRuns(result.runs);
  if (left.length === 0) return [];
  return [
    '## Unconverged runs (left out of the correlations)',
    '',
    ...left.map((r) => `- ${r.configuration} seed ${r.seed}: train loss ${r.train.loss.toFixed(4)} > target ${result.config.train.lossTarget} ` +
      `after ${r.steps} steps (the budget, ${plural(result.config.train.maxEpochs, 'epoch')}); test accuracy ${(100 * r.test.accuracy).toFixed(2)} %` +
      (r.sharpness ? `, λmax ${r.sharpness.lambdaMax.toFixed(2)} (of a slope, not a minimum)` : '') + '.'),
    '',
  ];
}

function troubleSection(result: StudyResult): string[] {
  const troubled = result.runs.filter((r) => r.diverged || r.failure);
  if (troubled.length === 0) return [];
  return [
    '## Diverged and failed runs',
    '',
    ...troubled.map((r) => `- ${r.configuration} seed ${r.seed}: ` +
      (r.diverged ? `diverged at step ${r.diverged.step} (${r.diverged.reason})` : '') +
      (r.diverged && r.failure ? '; ' : '') +
      (r.failure ? `${r.failure.stage} failed: ${r.failure.message}` : '')),
    '',
  ];
}

function evidenceSection(result: StudyResult): string[] {
  return [
    '## Does flatter generalise better?',
    '',
    ...findings(result.runs, result.correlations, result.config.train).map((f) => `- ${f}`),
    '',
    '| Measure | Target | n | Kendall τ | 95 % interval | verdict | Spearman ρ |',
    '| --- | --- | ---: | ---: | --- | --- | ---: |',
    ...result.correlations.map((k) => `| ${k.measure} | ${k.target} | ${k.n} | ${fmt(k.kendallTau)} | ${interval(k.tauInterval)} | ` +
      `${verdictOf(k.tauInterval)} | ${fmt(k.spearmanRho)} |`),
    '',
    'Verdict per row: supported when the interval lies above 0 (sharper ↔ worse), contradicted below 0, undecided when it contains 0.',
    '',
  ];
}

/** The published table alone, when the study did not reproduce it (reproduction off, or no configuration of that name). */
function referenceSection(result: StudyResult): string[] {
  if (reproductionSection(result).length > 0) return [];
  return [
    '## Reference study',
    '',
    'The numbers this study is compared with (full MNIST; their architecture and training length are not ours, so compare trends, not values):',
    '',
    '| Configuration | Test acc. (%) | λmax |',
    '| --- | ---: | ---: |',
    ...REFERENCE.map((r) => `| ${r.configuration} | ${r.testAccuracy} | ${r.lambdaMax} |`),
    '',
  ];
}

function plotsSection(_result: StudyResult, charts: string[]): string[] {
  return ['## Plots', '', ...charts.map((f) => `![${f}](${f})`), ''];
}

/**
 * The report, in order: the frame's sections, with every measure's own in the middle. A measure's
 * section is its module's (Measure.studySection, StudyMeasure / TrainingMeasure section); a section
 * that is no measure's is a function in its own module and an entry here.
 */
export const REPORT_SECTIONS: ReportSection[] = [
  headerSection, reproductionSection, answerSection, resultsSection, unconvergedSection, troubleSection, evidenceSection, sweepSection,
  measureSections, referenceSection, plotsSection,
];

/**
 * The sections of the three registries' measures — per minimum (src/measures/registry.ts), during
 * training and per study (study-measures.ts) — on their one `order` scale. The reproduction is a study
 * measure too, but its table leads the report, before the answer, so the frame places it.
 */
function measureSections(result: StudyResult): string[] {
  const sections = [
    ...MEASURES.flatMap((m) => (m.studySection ? [{ order: m.studySection.order, render: () => m.studySection!.render(result.runs, result.config.probe) }] : [])),
    ...[...TRAINING_MEASURES, ...STUDY_MEASURES].flatMap((m) => (m.section ? [{ order: m.section.order, render: () => m.section!.render(result) }] : [])),
  ];
  return sections.sort((a, b) => a.order - b.order).flatMap((s) => s.render());
}

export function reportMarkdown(result: StudyResult, charts: string[]): string {
  return REPORT_SECTIONS.flatMap((section) => section(result, charts)).join('\n');
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const capital = (s: string) => s[0].toUpperCase() + s.slice(1);
