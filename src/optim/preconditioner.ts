/**
 * Adam's own preconditioner as a GPU vector, for the preconditioned sharpness λmax(P⁻¹H) of Cohen
 * et al. (2022, "Adaptive gradient methods at the edge of stability"). Adam's update is
 * θ ← θ − lr·m/((1 − β1^t)(√v̂ + ε)) with v̂ = v/(1 − β2^t), i.e. θ ← θ − lr·P⁻¹m with
 *
 *   P = (1 − β1^t)·diag(√v̂ + ε),
 *
 * a preconditioned heavy-ball step whose stability threshold for λmax(P⁻¹H) is (2 + 2β1)/((1 − β1)·lr)
 * (38/lr at β1 = 0.9). P⁻¹H is similar to the symmetric P^{-1/2}HP^{-1/2}, which the solvers iterate
 * on; this holds D = P^{-1/2}, computed on the GPU from the optimizer's live second moment.
 */
import { releaseDispatches } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareAdamInverseRoot, writeAdamCoefficients, type AdamPreconditionerCoefficients } from '../gpu/ops/precondition';
import type { Optimizer } from './optimizer';

export class AdamPreconditioner {
  private constructor(
    private readonly optimizer: Optimizer,
    /** D = P^{-1/2}, refreshed by update(). */
    readonly inverseRoot: Tensor,
    private readonly prepared: Awaited<ReturnType<typeof prepareAdamInverseRoot>>,
  ) {}

  static async create(optimizer: Optimizer): Promise<AdamPreconditioner> {
    const c = optimizer.config;
    if (c.kind === 'sgd') throw new Error(`AdamPreconditioner: the optimizer is SGD, which has no preconditioner (its threshold is 2/lr)`);
    const v = optimizer.stateTensor('exp_avg_sq')!;
    const d = Tensor.create(v.gpu, [v.size], { label: 'adam:inverse-root' });
    try {
      const prepared = await prepareAdamInverseRoot(v.gpu, v.size, v, d, coefficients(optimizer));
      return new AdamPreconditioner(optimizer, d, prepared);
    } catch (err) {
      d.destroy();
      throw err;
    }
  }

  /** The stability threshold (2 + 2β1)/((1 − β1)·lr) of λmax(P⁻¹H). */
  threshold(lr = this.optimizer.config.lr): number {
    const c = this.optimizer.config;
    if (c.kind === 'sgd') return 2 / lr;
    return (2 + 2 * c.beta1) / ((1 - c.beta1) * lr);
  }

  /** Recompute D from the optimizer's state after its last submitted step (its step count t ≥ 1). */
  update(): void {
    const t = this.optimizer.stepCount;
    if (t < 1) throw new Error('AdamPreconditioner: the optimizer has taken no step yet; its second moment is still zero');
    const gpu = this.inverseRoot.gpu;
    writeAdamCoefficients(gpu, this.prepared.uniform, this.inverseRoot.size, coefficients(this.optimizer));
    gpu.run([this.prepared.dispatch]);
  }

  destroy(): void {
    releaseDispatches([this.prepared.dispatch]);
    this.inverseRoot.destroy();
  }
}

/** The float64 coefficients of P at the optimizer's current step (t = 1 before any step, never used then). */
export function coefficients(optimizer: Optimizer): AdamPreconditionerCoefficients {
  const c = optimizer.config;
  if (c.kind === 'sgd') throw new Error('coefficients: SGD has no preconditioner');
  const t = Math.max(1, optimizer.stepCount);
  return { bias1: 1 - c.beta1 ** t, invSqrtBc2: 1 / Math.sqrt(1 - c.beta2 ** t), eps: c.eps };
}
