/**
 * Node: the study's Dinh rescaling check (rescaling.ts) on one minimum — the first converged run
 * with a probed minimum (else the first probed run), reloaded from its checkpoint — once per study. A failure (a
 * non-ReLU network, outputs that moved) is recorded in the result and the report, not thrown.
 */
import { join } from 'node:path';
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { convergedRuns } from './run-sets';
import type { GpuDataset } from '../data/gpu-dataset';
import { loadCheckpoint } from '../train/checkpoint-file';
import type { RunConfig, StudyConfig } from './config';
import { lossWeightDecay } from '../measures/invariant';
import { rescalingCheck, rescalingSection } from './rescaling';
import type { RescalingResult, RunResult } from './results';
import type { StudyMeasure } from './study-measure';

/**
 * The run the check is made on. A converged run when there is one (Dinh's argument is about minima);
 * the invariance itself holds anywhere. The first in run order, so a merge of shards (each of
 * which checked its own candidate) can tell which shard's check a single machine would have made.
 */
export function rescalingCandidate(runs: RunResult[]): RunResult | undefined {
  const probed = runs.filter((r) => !r.diverged && !r.failure && r.sharpness);
  return convergedRuns(probed)[0] ?? probed[0];
}

export async function rescalingStudy(
  gpu: Gpu, config: StudyConfig, runs: RunResult[], outDir: string, data: GpuDataset, log: (line: string) => void,
): Promise<RescalingResult | undefined> {
  const { rescaleAlpha: alpha, rescaleLayer: layer } = config.probe.invariant;
  if (!(alpha > 0)) return undefined;
  const run = rescalingCandidate(runs);
  if (!run) return { configuration: '', seed: 0, layer, alpha, error: 'no run finished with a probed minimum' };
  const at = { configuration: run.configuration, seed: run.seed, layer, alpha };
  try {
    const ckpt = await loadCheckpoint(join(outDir, 'checkpoints', `${run.configuration}-s${run.seed}.ckpt`));
    const model = await Mlp.create(gpu, ckpt.model);
    try {
      model.setParams(ckpt.params);
      log(`rescaling check on ${run.configuration} seed ${run.seed}: layer ${layer} × ${alpha}, layer ${layer + 1} × 1/${alpha}; then per neuron, factors in [1/${alpha}, ${alpha}]`);
      // The run's own weight decay, as its probe used it, so "before" and "after" measure the same κ.
      const trained = (ckpt.meta as { run?: RunConfig } | undefined)?.run ?? config.configurations.find((c) => c.name === run.configuration);
      const result = { ...at, ...await rescalingCheck(model, data, config.probe, { layer, alpha }, run.seed, run.sharpness!, lossWeightDecay(trained?.optimizer)) };
      log(`rescaling check: ${result.measures!.map((m) => `${m.name} ${m.before.toPrecision(4)} → ${m.after.toPrecision(4)} (layer), ` +
        `${m.neuronAfter!.toPrecision(4)} (neurons)`).join('; ')}`);
      return result;
    } finally {
      model.destroy();
    }
  } catch (err) {
    log(`rescaling check failed: ${(err as Error).message}; recorded in the report, the study goes on`);
    return { ...at, error: (err as Error).message };
  }
}

/** The rescaling check as a study-level measure (it records its own failure; off when probe.invariant.rescaleAlpha is 0). */
export const rescalingMeasure: StudyMeasure = {
  name: 'rescaling',
  settings: ['probe.invariant.rescaleAlpha', 'probe.invariant.rescaleLayer', 'probe'],
  enabled: (config) => config.probe.invariant.rescaleAlpha > 0,
  off: {},
  run: async ({ gpu, config, runs, outDir, probeData, log }) => {
    const rescaling = await rescalingStudy(gpu, config, runs, outDir, probeData, log);
    return rescaling ? { rescaling } : {};
  },
  // Right after the invariant measures' section (order 10), whose survival it checks.
  section: { order: 15, render: rescalingSection },
};
