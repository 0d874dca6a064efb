/**
 * Optimiser steps on shuffled minibatches as a step source for other loops (the stationary-spread
 * estimator continues training from a minimum with it): the same per-step work as the trainer —
 * copy the step's slice of a seeded epoch permutation, gather, forward + backward, the optimiser's
 * kernel — recorded into the caller's encoder, with no readback. Epochs drop the last partial batch,
 * as the trainer does. The optimiser starts with fresh state (momentum buffers at zero).
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { Optimizer, type OptimizerConfig } from '../optim/optimizer';
import { Rng } from '../util/rng';

export interface MinibatchSteps {
  /** Record step t (0, 1, …; called in order) into the encoder; submit it before the next call. */
  step(encoder: GPUCommandEncoder, t: number): void;
  destroy(): void;
}

export async function prepareMinibatchSteps(
  model: Mlp, data: GpuDataset, o: { optimizer: OptimizerConfig; batchSize: number; seed: number },
): Promise<MinibatchSteps> {
  const { gpu } = model;
  const B = o.batchSize;
  if (!Number.isInteger(B) || B < 1 || B > data.count) {
    throw new Error(`minibatch steps: batch size ${B} must be a whole number in 1..${data.count} (the samples of '${data.name}')`);
  }
  const perEpoch = Math.floor(data.count / B);
  const permutation = Tensor.create(gpu, [data.count], { dtype: 'u32', label: 'steps:permutation' });
  const batchOrder = Tensor.create(gpu, [B], { dtype: 'u32', label: 'steps:batch-order' });
  const grad = model.vector('steps:gradient');
  const owned = [permutation, batchOrder, grad];
  try {
    const plan = await model.preparePass({ kind: 'gradient', data, order: batchOrder, count: B, chunkSize: B, gradient: grad });
    const optimizer = await Optimizer.create(gpu, o.optimizer, model.params, grad).catch((err) => {
      plan.destroy();
      throw err;
    });
    const rng = new Rng(o.seed);
    return {
      step(encoder, t) {
        const s = t % perEpoch;
        // The queue writes the new epoch's order before this encoder runs and after the steps already submitted.
        if (s === 0) permutation.write(rng.permutation(data.count));
        encoder.copyBufferToBuffer(permutation.buffer, s * B * 4, batchOrder.buffer, 0, B * 4);
        plan.encode(encoder, gpu);
        optimizer.encodeStep(encoder);
      },
      destroy() {
        plan.destroy();
        optimizer.destroy();
        for (const t of owned) t.destroy();
      },
    };
  } catch (err) {
    for (const t of owned) t.destroy();
    throw err;
  }
}
