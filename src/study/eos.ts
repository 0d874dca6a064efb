/**
 * The study's edge-of-stability experiment (Cohen et al. 2021): full-batch gradient descent on a
 * subset of the training data, from the study's initialisation, for a few step sizes η, with λmax
 * traced every few steps against 2/η (src/train/full-batch.ts). The top eigenvector at θ₀ is found
 * once (cold power iteration: the block eigen-solver on one direction) and warm-starts every η's
 * trace, since all of them start at θ₀.
 * Its config section is in eos-config.ts.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { hessianBlockOperator } from '../probe/block-operator';
import { topEigenpair } from '../probe/block-eigen';
import { fullBatchDescent, type FullBatchResult } from '../train/full-batch';
import type { StudyConfig } from './config';
import { runsEos } from './shard';
import type { StudyMeasure } from './study-measure';
import { fullBatchSection } from './eos-report';

export interface EosStudy {
  samples: number;
  widths: number[];
  /** The initialisation's seed (the config's first seed). */
  seed: number;
  /** λmax at θ₀, converged from a random start; every trace begins there. */
  lambdaAtInit: number;
  runs: FullBatchResult[];
  seconds: number;
}

export interface EosHooks {
  log: (line: string) => void;
  progress?: (label: string, fraction: number, note: string) => void;
  signal?: AbortSignal;
}

export async function runEdgeOfStability(gpu: Gpu, config: StudyConfig, train: Dataset, hooks: EosHooks): Promise<EosStudy> {
  const e = config.eos;
  const t0 = performance.now();
  const subset = firstSamples(train, e.samples);
  const data = GpuDataset.fromDataset(gpu, subset);
  const spec = { widths: [train.features, ...config.hidden, train.classes], activation: config.activation, seed: config.seeds[0] };
  const chunkSize = config.probe.chunkSize;
  const runs: FullBatchResult[] = [];
  const init = await Mlp.create(gpu, spec);
  const op = await hessianBlockOperator(init, data, 1, { chunkSize });
  hooks.progress?.('edge of stability', 0, `λmax at θ₀ on ${subset.count} samples`);
  const first = await topEigenpair(op, { maxIter: 50, tol: 1e-4, seed: spec.seed }).finally(() => {
    op.destroy();
    init.destroy();
  });
  try {
    for (const [i, lr] of e.etas.entries()) {
      if (hooks.signal?.aborted) break;
      const label = `edge of stability η ${lr}`;
      const model = await Mlp.create(gpu, spec);
      try {
        const run = await fullBatchDescent(model, data, {
          lr, steps: e.steps, every: e.every, powerIters: e.powerIters, chunkSize, start: first.vector, signal: hooks.signal,
          onPoint: (p, steps) => hooks.progress?.(label, (i + p.step / steps) / e.etas.length, `step ${p.step}/${steps}: λmax ${p.lambdaMax.toFixed(2)}, 2/η ${(2 / lr).toFixed(2)}`),
        });
        runs.push(run);
        const end = run.trace.at(-1);
        hooks.log(`${label}: ${run.steps} full-batch steps on ${subset.count} samples` +
          (end ? `, final λmax ${end.lambdaMax.toFixed(3)} = ${(end.lambdaMax * lr / 2).toFixed(2)} × 2/η` : '') +
          (run.diverged ? `; diverged: ${run.diverged.reason}` : ''));
      } finally {
        model.destroy();
      }
    }
  } finally {
    first.vector.destroy();
    data.destroy();
  }
  return { samples: subset.count, widths: spec.widths, seed: spec.seed, lambdaAtInit: first.eigenvalue, runs, seconds: (performance.now() - t0) / 1000 };
}

/** The full-batch traces as a study-level measure: once per study (on one shard of a sharded study), when eos.enabled. */
export const eosMeasure: StudyMeasure = {
  name: 'edge-of-stability',
  settings: ['eos', 'hidden', 'activation', 'seeds', 'probe.chunkSize'],
  enabled: (config, shard) => config.eos.enabled && runsEos(shard),
  off: { eos: null },
  run: async ({ gpu, config, train, log, progress, signal }) => ({ eos: await runEdgeOfStability(gpu, config, train, { log, progress, signal }) }),
  // After the sharpening trend (order 50), before the traces during training (70).
  section: { order: 60, render: fullBatchSection },
};
