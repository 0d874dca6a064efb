/**
 * The study's reparametrisation-invariant sharpness measures of one minimum, from the config's
 * probe.invariant settings: adaptive sharpness (average and worst case, probe/adaptive.ts) and the
 * last layer's relative flatness (probe/relative-flatness.ts), both as defined and in its authors'
 * protocol (features at unit standard deviation, + 2α‖w̃_s‖² under the run's coupled weight decay α).
 * Browser-safe; the measure below and the rescaling check (study/rescaling.ts) both call it, so the
 * two measure the same way.
 */
import * as z from 'zod';
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { adaptiveSharpness } from '../probe/adaptive';
import { relativeFlatness } from '../probe/relative-flatness';
import type { OptimizerConfig } from '../optim/optimizer';
import type { Sharpness } from './results';
import { probeBounds } from '../util/bootstrap';
import { PROBE_FAILURE, type Measure, blockSizeOf } from './measure';
import { f, withBounds } from './table';
import { must, nonNegInt, posInt, positive, strict } from '../util/zod-fields';
import { invariantSection } from './invariant-report';

const nonNegative = must('a finite number ≥ 0');
const rescaleAlpha = { error: (iss: { input: unknown }) => `must be a finite number > 0, or 0 to skip the rescaling check; got ${JSON.stringify(iss.input)}` };

/** `probe.invariant`: the measures' radii and budgets, and the study's rescaling check of them (study/rescaling.ts). */
const settings = {
  invariant: strict({
    rho: positive().default(0.5).describe('Adaptive sharpness: the radius of ‖ε ⊘ (|θ| + eta)‖ ≤ rho.'),
    averageRho: positive().default(0.05).describe('Average adaptive sharpness: each weight moved by about averageRho of itself.'),
    eta: z.number(nonNegative).min(0, nonNegative).default(0).describe('Added to |θ| in the adaptive units.'),
    samples: posInt().default(8).describe('Antithetic random perturbations of the average.'),
    steps: nonNegInt().default(3).describe('Ascent steps of the worst case (0: none).'),
    flatnessSamples: nonNegInt().default(16).describe('Probes of the last layer\'s relative flatness (0: off).'),
    rescaleAlpha: z.number(rescaleAlpha).min(0, rescaleAlpha).default(5)
      .describe('Dinh rescaling check on the first finished run: layer rescaleLayer scaled by rescaleAlpha, the next by its inverse, and separately per neuron by factors log-uniform over [1/rescaleAlpha, rescaleAlpha] (0: off; ReLU networks only).'),
    rescaleLayer: nonNegInt().default(0).describe('The rescaled layer (0-based); the next layer takes the inverse.'),
  }).prefault({}).describe('Sharpness that survives reparametrisation (src/measures/invariant.ts).'),
};

/** The `probe.invariant` settings these measures read (their schema: `settings` above). */
export interface InvariantSettings {
  rho: number;
  averageRho: number;
  eta: number;
  samples: number;
  steps: number;
  flatnessSamples: number;
}
export type InvariantSharpness = Pick<Sharpness, 'adaptiveAverage' | 'adaptiveAverageInterval' | 'adaptiveWorst' | 'relativeFlatness' |
  'relativeFlatnessInterval' | 'relativeFlatnessNormalized' | 'relativeFlatnessNormalizedInterval' | 'relativeFlatnessDecay'>;

/**
 * α of the authors' regulariser term: coupled L2 (SGD's and Adam's weightDecay) is part of the loss
 * the run minimised; AdamW's decoupled decay is not a loss term, so it adds nothing (0).
 */
export function lossWeightDecay(optimizer: OptimizerConfig | undefined): number {
  return optimizer && optimizer.kind !== 'adamw' ? optimizer.weightDecay ?? 0 : 0;
}

export async function invariantSharpness(
  model: Mlp, data: GpuDataset, s: InvariantSettings, seed: number, chunkSize: number,
  stage: (text: string) => void | Promise<void> = () => {}, decay = 0,
): Promise<InvariantSharpness> {
  await stage(`adaptive sharpness (in units of |θ|${s.eta ? ` + ${s.eta}` : ''}: ${s.samples} samples at ${s.averageRho}, ${s.steps} ascent steps within ${s.rho})`);
  const a = await adaptiveSharpness(model, data, { rho: s.rho, averageRho: s.averageRho, eta: s.eta, samples: s.samples, steps: s.steps, seed, chunkSize });
  const out: InvariantSharpness = { adaptiveAverage: a.average, adaptiveAverageInterval: probeBounds(a.increases) };
  if (s.steps > 0) out.adaptiveWorst = a.worst;
  if (s.flatnessSamples > 0) {
    await stage(`relative flatness of the last layer (${s.flatnessSamples} probes)`);
    const k = await relativeFlatness(model, data, { samples: s.flatnessSamples, seed, chunkSize });
    out.relativeFlatness = k.kappa;
    out.relativeFlatnessInterval = probeBounds(k.estimates);
    await stage(`relative flatness of the last layer in its authors' protocol (features at unit standard deviation${decay ? `, + 2·${decay}·‖w̃‖²` : ''}; ${s.flatnessSamples} probes)`);
    const n = await relativeFlatness(model, data, { samples: s.flatnessSamples, seed, chunkSize, normalise: true, decay });
    out.relativeFlatnessNormalized = n.kappa;
    out.relativeFlatnessNormalizedInterval = probeBounds(n.estimates);
    out.relativeFlatnessDecay = decay;
  }
  return out;
}

export const invariantMeasure: Measure<typeof settings> = {
  name: 'invariant',
  settings: ['probe.invariant', 'probe.chunkSize'],
  schema: settings,
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  enabled: ({ settings }) => !!settings.invariant,
  stages: (p) => 1 + (p.invariant!.flatnessSamples > 0 ? 2 : 0),
  work: (s) => {
    const inv = s.invariant!;
    // Relative flatness twice: as defined and in its authors' protocol (the same number of probes).
    return [
      { stage: 'invariant sharpness', pass: { kind: 'gradient' }, count: inv.steps },
      { stage: 'invariant sharpness', pass: { kind: 'forward' }, count: 2 * inv.samples + 1 },
      { stage: 'invariant sharpness', pass: { kind: 'block', k: blockSizeOf(s) }, count: 2 * Math.ceil(inv.flatnessSamples / blockSizeOf(s)) },
    ];
  },
  run: async ({ model, data, settings: p, seed, stage, training }) => ({
    sharpness: await invariantSharpness(model, data, p.invariant!, seed, p.chunkSize, stage, lossWeightDecay(training.optimizer)),
  }),
  demo: [
    { id: 'adaptive-average', name: 'Adaptive sharpness (average)', value: (r) => r.sharpness?.adaptiveAverage, digits: 4 },
    { id: 'adaptive-worst', name: 'Adaptive sharpness (worst)', value: (r) => r.sharpness?.adaptiveWorst, digits: 4 },
    {
      id: 'relative-flatness', name: 'Relative flatness (last layer)', value: (r) => r.sharpness?.relativeFlatness, digits: 4,
      interval: (r) => r.sharpness?.relativeFlatnessInterval,
    },
    {
      id: 'relative-flatness-normalized', name: "Relative flatness, authors' protocol (features at unit std)", value: (r) => r.sharpness?.relativeFlatnessNormalized,
      digits: 4, interval: (r) => r.sharpness?.relativeFlatnessNormalizedInterval,
    },
  ],
  studySection: { order: 10, render: invariantSection },
  table: {
    order: 70,
    rows: (s) => [
      ...(s.adaptiveAverage !== undefined ? [{ measure: 'adaptive sharpness, average (95 % interval)', value: withBounds(s.adaptiveAverage, s.adaptiveAverageInterval) }] : []),
      ...(s.adaptiveWorst !== undefined ? [{ measure: 'adaptive sharpness, worst case found (a lower bound)', value: f(s.adaptiveWorst) }] : []),
      ...(s.relativeFlatness !== undefined ? [{ measure: 'relative flatness κ, last layer (95 % interval)', value: withBounds(s.relativeFlatness, s.relativeFlatnessInterval) }] : []),
      ...(s.relativeFlatnessNormalized !== undefined ? [{
        measure: `relative flatness κ, authors' protocol: features at unit std${s.relativeFlatnessDecay ? `, + 2α‖w̃_s‖² with α = ${s.relativeFlatnessDecay}` : ''} (95 % interval)`,
        value: withBounds(s.relativeFlatnessNormalized, s.relativeFlatnessNormalizedInterval),
      }] : []),
    ],
  },
};
