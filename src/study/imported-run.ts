/**
 * A model imported from a file (src/io), probed with the study's suite: its results as a RunResult
 * (so the study's charts draw it, in Node and in the demo) and as a short Markdown report.
 * Browser-safe.
 */
import type { LossResult } from '../autograd/mlp';
import type { ImportedMlp } from '../io/mlp-weights';
import type { MeasuredMinimum } from '../measures/probe-run';
import type { NoiseResult, Sharpness } from '../measures/results';
import { MEASURES, sharpnessRows } from '../measures/registry';
import type { RunResult } from './results';

/** A probed minimum as the CLI's and the demo's import record it (the measures' run-record fields and their cost). */
export type ProbedMinimum = Pick<MeasuredMinimum, 'density' | 'slice' | 'hvps'> & { sharpness: Sharpness };

export interface ImportedProbe {
  weights: { file: string; format: ImportedMlp['format']; widths: number[]; activation: string; layers: ImportedMlp['layers']; notes: string[] };
  /** `normalisation` names the arrays used and how; `warnings` what looked wrong in them (also printed). */
  data: { source: string; samples: number; features: number; classes: number; normalisation: string; warnings: string[] };
  adapter: string;
  seed: number;
  seconds: number;
  loss: LossResult;
  probe: ProbedMinimum;
  /** probe.noise (src/measures/noise.ts), when on. */
  noise?: NoiseResult | null;
}

/** An imported model as one run of the study's result shape: no training; "train" is the data it was probed on. */
export function importedRun(
  label: string, seed: number, seconds: number, probed: { loss: number; accuracy: number },
  probe: Pick<ProbedMinimum, 'sharpness' | 'slice' | 'density'> | null,
): RunResult {
  const nan = { loss: NaN, accuracy: NaN };
  return {
    configuration: label, optimizer: 'imported', seed, steps: 0, seconds, diverged: null,
    train: { loss: probed.loss, accuracy: probed.accuracy }, test: nan, genGap: NaN,
    sharpness: probe?.sharpness ?? null, duringTraining: [], history: [], slice: probe?.slice ?? null, density: probe?.density ?? null,
  };
}

const f = (x: number, digits = 4) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));

export function importedReportMarkdown(r: ImportedProbe, charts: string[]): string {
  const s = r.probe.sharpness;
  const lines = [
    `# Sharpness of ${r.weights.file}`,
    '',
    `Architecture ${r.weights.widths.join('-')} (${r.weights.activation}), read from ${r.weights.format}; ` +
      `probed on ${r.data.samples} samples of ${r.data.source} (${r.data.features} features, ${r.data.classes} classes; ${r.data.normalisation}). ` +
      `Adapter: ${r.adapter}. ${r.probe.hvps} Hessian-vector products in ${r.seconds.toFixed(1)} s.`,
    '',
    '| layer | weight | bias | shape (out × in) | dtype |',
    '| ---: | --- | --- | --- | --- |',
    ...r.weights.layers.map((l, i) => `| ${i + 1} | \`${l.weight}\` | \`${l.bias}\` | ${l.outDim} × ${l.inDim} | ${l.dtype} |`),
    '',
    ...r.weights.notes.map((n) => `- ${n}`),
    ...(r.weights.notes.length ? [''] : []),
    '| measure | value |',
    '| --- | ---: |',
    `| loss (mean cross-entropy) | ${f(r.loss.loss, 6)} |`,
    `| accuracy | ${(100 * r.loss.accuracy).toFixed(2)} % |`,
    ...sharpnessRows(s).map((row) => `| ${row.measure} | ${row.value} |`),
    '',
    ...MEASURES.flatMap((m) => m.section?.({ ...r.probe, noise: r.noise }) ?? []),
    ...charts.map((c) => `![${c}](${c})`),
    '',
  ];
  return lines.join('\n');
}
