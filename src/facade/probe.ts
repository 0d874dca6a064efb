/**
 * One call for everything the CLI's `probe` command measures at a minimum: the loss, λmax with its
 * convergence, top-k, λmin, trace, density, per-layer λmax, perturbation and invariant sharpness,
 * the slice along the top eigenvector, and gradient noise along the curvature: the registry's
 * measures (src/measures) with the study's default settings, any of which `settings` overrides. Browser-safe; host numbers only (nothing to free).
 */
import type { Mlp, LossResult } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import type { OptimizerConfig } from '../optim/optimizer';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type StudyConfig } from '../study/config';
import { measureMinimum, probedRecord } from '../measures/probe-run';
import type { NoiseResult } from '../measures/results';
import type { ProbedMinimum } from '../study/imported-run';

/** Any of T's fields, at any depth, may be left out. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface ProbeOptions {
  /** Seed of every random start, probe and perturbation (default 0). */
  seed?: number;
  /** Probe settings over the study's defaults (configs/default.json's "probe"); `samples` is ignored: all of `data` is used. */
  settings?: DeepPartial<StudyConfig['probe']>;
  /**
   * The optimiser and batch size the model was trained with: the noise measure then also continues
   * training from the minimum to measure the weights' stationary spread (else gradient noise only),
   * and its coupled weight decay enters relative flatness in its authors' protocol.
   */
  training?: { optimizer: OptimizerConfig; batchSize: number };
  /** Called before each measure with its name (progress). */
  onStage?: (text: string) => void | Promise<void>;
}

export interface ProbeResult extends ProbedMinimum {
  adapter: string;
  samples: number;
  loss: LossResult;
  /** Gradient noise along the top eigendirections and the bulk; null when settings.noise.directions is 0. */
  noise: NoiseResult | null;
}

export async function probe(model: Mlp, data: GpuDataset, options: ProbeOptions = {}): Promise<ProbeResult> {
  const { seed = 0, training, onStage } = options;
  const config = mergeConfig(DEFAULT_CONFIG, { probe: options.settings ?? {} });
  validateConfig(config);
  const p = config.probe;
  if (data.features !== model.layout.widths[0]) {
    throw new Error(`probe: the data has ${data.features} features but the model's input width is ${model.layout.widths[0]}`);
  }
  const loss = await model.loss(data, { chunkSize: p.chunkSize });
  const twoOverEta = training?.optimizer.kind === 'sgd' ? 2 / training.optimizer.lr : null;
  const m = await measureMinimum(model, data, p, { seed, training: { optimizer: training?.optimizer, batchSize: training?.batchSize ?? 0, twoOverEta }, stage: onStage });
  const { sharpness, ...rest } = probedRecord(m);
  return { adapter: model.gpu.adapter.description, samples: data.count, loss, sharpness: sharpness!, ...rest };
}
