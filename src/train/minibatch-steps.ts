/**
 * Minibatch gradients on seeded epoch permutations, the per-step data work of every training loop:
 * the trainer's and prepareMinibatchSteps' (the stationary-spread estimator continues training from
 * a minimum with it). A step copies its slice of the epoch's permutation into the batch's index
 * buffer, gathers the minibatch and runs forward + backward into `gradient`, recorded into the
 * caller's encoder with no readback. Epochs drop the last partial batch.
 */
import type { Mlp } from '../autograd/mlp';
import type { PassPlan } from '../autograd/pass';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { Optimizer, type OptimizerConfig } from '../optim/optimizer';
import { Rng } from '../util/rng';

export class MinibatchGradient {
  private constructor(
    /** The gradient pass over the current minibatch (its scalars hold the batch's loss and hits). */
    readonly plan: PassPlan,
    /** The minibatch gradient, overwritten by each step. */
    readonly gradient: Tensor,
    /** Whole batches per epoch. */
    readonly perEpoch: number,
    private readonly permutation: Tensor,
    private readonly batchOrder: Tensor,
    private readonly rng: Rng,
    private readonly count: number,
    private readonly batchSize: number,
  ) {}

  /** The caller checks that batchSize is a whole number in 1..data.count (with its own message). */
  static async prepare(model: Mlp, data: GpuDataset, o: { batchSize: number; seed: number; label: string }): Promise<MinibatchGradient> {
    const B = o.batchSize;
    const permutation = Tensor.create(model.gpu, [data.count], { dtype: 'u32', label: `${o.label}:permutation` });
    const batchOrder = Tensor.create(model.gpu, [B], { dtype: 'u32', label: `${o.label}:batch-order` });
    const gradient = model.vector(`${o.label}:gradient`);
    try {
      const plan = await model.preparePass({ kind: 'gradient', data, order: batchOrder, count: B, chunkSize: B, gradient });
      return new MinibatchGradient(plan, gradient, Math.floor(data.count / B), permutation, batchOrder, new Rng(o.seed), data.count, B);
    } catch (err) {
      for (const t of [permutation, batchOrder, gradient]) t.destroy();
      throw err;
    }
  }

  /** Draws the next epoch's order; the queue writes it before the next submitted encoder runs. */
  nextEpoch(): void {
    this.permutation.write(this.rng.permutation(this.count));
  }

  /** Draws an epoch's order without using it (a resumed run replays the stream up to its epoch). */
  skipEpoch(): void {
    this.rng.permutation(this.count);
  }

  /** Records step s of the current epoch: its batch indices, the gather, forward and backward. */
  encode(encoder: GPUCommandEncoder, s: number): void {
    encoder.copyBufferToBuffer(this.permutation.buffer, s * this.batchSize * 4, this.batchOrder.buffer, 0, this.batchSize * 4);
    this.plan.encode(encoder);
  }

  destroy(): void {
    this.plan.destroy();
    for (const t of [this.permutation, this.batchOrder, this.gradient]) t.destroy();
  }
}

export interface MinibatchSteps {
  /** Record step t (0, 1, …; called in order) into the encoder; submit it before the next call. */
  step(encoder: GPUCommandEncoder, t: number): void;
  destroy(): void;
}

/** Optimiser steps on shuffled minibatches; the optimiser starts with fresh state (momentum buffers at zero). */
export async function prepareMinibatchSteps(
  model: Mlp, data: GpuDataset, o: { optimizer: OptimizerConfig; batchSize: number; seed: number },
): Promise<MinibatchSteps> {
  const B = o.batchSize;
  if (!Number.isInteger(B) || B < 1 || B > data.count) {
    throw new Error(`minibatch steps: batch size ${B} must be a whole number in 1..${data.count} (the samples of '${data.name}')`);
  }
  const batches = await MinibatchGradient.prepare(model, data, { batchSize: B, seed: o.seed, label: 'steps' });
  const optimizer = await Optimizer.create(model.gpu, o.optimizer, model.params, batches.gradient).catch((err) => {
    batches.destroy();
    throw err;
  });
  return {
    step(encoder, t) {
      const s = t % batches.perEpoch;
      if (s === 0) batches.nextEpoch();
      batches.encode(encoder, s);
      optimizer.encodeStep(encoder);
    },
    destroy() {
      batches.destroy();
      optimizer.destroy();
    },
  };
}
