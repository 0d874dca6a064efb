/**
 * Full-batch gradient descent with λmax traced along the trajectory: the edge-of-stability
 * experiment of Cohen et al. (2021, "Gradient descent on neural networks typically occurs at the
 * edge of stability"). Each step is θ ← θ − η·∇L(θ) with ∇L the mean-loss gradient over the whole
 * dataset (accumulated chunk by chunk: the same numbers as one batch), recorded with the SGD kernel
 * (no momentum, no weight decay) into one command encoder. Every `every` steps, and at the last
 * step, λmax of the full-data Hessian at the current θ is measured by power iteration (the block
 * eigen-solver on one direction, topEigenpair) warm-started from the previous point's eigenvector — along a trajectory the top eigenvector moves slowly, so a
 * few iterations follow it where a cold start would need tens.
 *
 * The prediction: λmax rises (progressive sharpening) until it reaches 2/η, the largest curvature a
 * quadratic tolerates at step size η, and then hovers there while the loss keeps falling, non-
 * monotonically. The host reads one scalar (the loss) per step and one per power-iteration check.
 */
import type { Mlp } from '../autograd/mlp';
import { SLOT } from '../autograd/pass';
import type { GpuDataset } from '../data/gpu-dataset';
import type { Tensor } from '../gpu/tensor';
import { Optimizer } from '../optim/optimizer';
import { hessianBlockOperator } from '../probe/block-operator';
import { topEigenpair } from '../probe/block-eigen';

export interface FullBatchOptions {
  /** Step size η. */
  lr: number;
  steps: number;
  /** λmax at step 0, every `every` steps, and after the last step. */
  every: number;
  /** Power iterations per trace point after the first (warm-started). */
  powerIters: number;
  /** Power iterations of the first point (default 50: cold, from a random vector). */
  firstPowerIters?: number;
  /**
   * Start of the first point's power iteration (not modified): e.g. the top eigenvector at θ₀ found
   * once for several step sizes that all start from θ₀; then the first point takes powerIters too.
   */
  start?: Tensor;
  chunkSize?: number;
  /** Seed of the first power iteration's start vector. */
  seed?: number;
  signal?: AbortSignal;
  /** After each trace point, e.g. for progress. */
  onPoint?: (point: FullBatchPoint, steps: number) => void | Promise<void>;
}

export interface FullBatchPoint {
  step: number;
  /** Mean training loss at θ_step (before that step's update). */
  loss: number;
  lambdaMax: number;
  /** Power iteration's relative residual ‖Hv − λv‖/|λ| at this point: how well the few warm-started iterations followed v₁. */
  residual: number;
}

export interface FullBatchResult {
  lr: number;
  twoOverEta: number;
  /** Steps taken (fewer than asked when the run diverged or was stopped). */
  steps: number;
  /** Loss at θ_0 … θ_{steps} (θ_steps: after the last update). */
  losses: number[];
  trace: FullBatchPoint[];
  /** Why the run stopped early; null when it took every step. */
  diverged: { step: number; reason: string } | null;
  stopped: boolean;
}

export async function fullBatchDescent(model: Mlp, data: GpuDataset, o: FullBatchOptions): Promise<FullBatchResult> {
  validate(o);
  const { gpu } = model;
  const grad = model.vector('full-batch:gradient');
  const plan = await model.preparePass({ kind: 'gradient', data, gradient: grad, chunkSize: o.chunkSize });
  const optimizer = await Optimizer.create(gpu, { kind: 'sgd', lr: o.lr }, model.params, grad);
  const hessian = await hessianBlockOperator(model, data, 1, { chunkSize: o.chunkSize });
  const losses: number[] = [];
  const trace: FullBatchPoint[] = [];
  let eigenvector: Tensor | null = null;
  let diverged: FullBatchResult['diverged'] = null;
  let stopped = false;
  let step = 0;
  try {
    for (; step <= o.steps; step++) {
      if (o.signal?.aborted) {
        stopped = true;
        break;
      }
      const measure = step % o.every === 0 || step === o.steps;
      const last = step === o.steps;
      // ∇L(θ_step) and L(θ_step); the update joins the same encoder unless λmax is measured at θ_step first.
      gpu.submit((encoder) => {
        plan.encode(encoder);
        if (!measure && !last) optimizer.encodeStep(encoder);
      });
      const loss = (await plan.scalars.read(SLOT.loss, 1))[0];
      losses.push(loss);
      if (!Number.isFinite(loss)) {
        diverged = { step, reason: `the training loss became ${loss} at step ${step} (η ${o.lr}, 2/η ${(2 / o.lr).toPrecision(4)})` };
        break;
      }
      if (measure) {
        const power = await topEigenpair(hessian, {
          maxIter: eigenvector || o.start ? o.powerIters : o.firstPowerIters ?? 50, tol: 1e-4, seed: o.seed ?? 0, start: eigenvector ?? o.start,
        });
        eigenvector?.destroy();
        eigenvector = power.vector;
        const point = { step, loss, lambdaMax: power.eigenvalue, residual: power.residual };
        trace.push(point);
        await o.onPoint?.(point, o.steps);
        if (!last) optimizer.step();
      }
      if (last) break;
    }
  } catch (err) {
    // A non-finite Hessian product after an exploding step is the run's divergence, not a crash.
    if (!/Gram matrix is not finite|block collapsed to zero/.test((err as Error).message)) throw err;
    diverged = { step, reason: (err as Error).message };
  } finally {
    eigenvector?.destroy();
    hessian.destroy();
    optimizer.destroy();
    plan.destroy();
    grad.destroy();
  }
  return { lr: o.lr, twoOverEta: 2 / o.lr, steps: Math.min(step, o.steps), losses, trace, diverged, stopped };
}

function validate(o: FullBatchOptions): void {
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`fullBatchDescent: ${name} must be a positive integer, got ${v}`);
  };
  if (!(o.lr > 0 && Number.isFinite(o.lr))) throw new Error(`fullBatchDescent: lr must be a finite number > 0, got ${o.lr}`);
  posInt('steps', o.steps);
  posInt('every', o.every);
  posInt('powerIters', o.powerIters);
  if (o.firstPowerIters !== undefined) posInt('firstPowerIters', o.firstPowerIters);
}
