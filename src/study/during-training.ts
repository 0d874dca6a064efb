/**
 * λmax of the full-data Hessian on the during-training samples at each check (probe.duringEvery):
 * the study's λmax-during-training curve, each check warm-started from the previous check's
 * eigenvector, so a few power iterations (the block eigen-solver on one direction) track it along the trajectory.
 */
import type { Tensor } from '../gpu/tensor';
import { hessianBlockOperator } from '../probe/block-operator';
import { topEigenpair } from '../probe/block-eigen';
import type { RunResult } from './results';
import type { TrainingMeasure } from './study-measure';
import { sharpeningSection } from './sharpening';

export const duringTrainingMeasure: TrainingMeasure = {
  name: 'lambda-during-training',
  label: () => 'λmax during training',
  settings: ['probe.duringEvery', 'probe.duringSamples', 'probe.duringMaxIter', 'probe.tol', 'probe.chunkSize'],
  enabled: (config) => config.probe.duringEvery > 0,
  work: (config, _run, checks) => [{ stage: 'λmax during training', pass: { kind: 'hvp', set: 'during' }, count: checks * config.probe.duringMaxIter }],
  start: async ({ model, config, seed, duringData }) => {
    const p = config.probe;
    const op = await hessianBlockOperator(model, duringData, 1, { chunkSize: p.chunkSize });
    const trace: RunResult['duringTraining'] = [];
    let warm: Tensor | null = null;
    return {
      check: async (step) => {
        const power = await topEigenpair(op, { tol: p.tol, maxIter: p.duringMaxIter, seed, start: warm ?? undefined });
        warm?.destroy();
        warm = power.vector;
        trace.push({ step, lambdaMax: power.eigenvalue });
      },
      result: () => ({ duringTraining: trace }),
      destroy: () => {
        warm?.destroy();
        op.destroy();
      },
    };
  },
  // Its trend: does λmax climb along training (sharpening.ts)? Before the edge-of-stability sections (60, 70).
  section: { order: 50, render: sharpeningSection },
};
