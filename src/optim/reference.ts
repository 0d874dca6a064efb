/**
 * Float64 CPU references of the optimizer steps, written the way torch.optim writes them
 * (single-tensor, non-fused paths), as the ground truth for shaders/optim.wgsl.
 */
import { resolveOptimizerConfig, stateNames, type OptimizerConfig, type ResolvedOptimizerConfig } from './optimizer';

export interface RefOptimizerState {
  config: ResolvedOptimizerConfig;
  theta: Float64Array;
  /** Same names as Optimizer.state(). */
  buffers: Map<string, Float64Array>;
  /** Steps taken so far. */
  step: number;
}

export function refOptimizerInit(config: OptimizerConfig, theta: ArrayLike<number>): RefOptimizerState {
  const cfg = resolveOptimizerConfig(config);
  const buffers = new Map(stateNames(cfg).map((name) => [name, new Float64Array(theta.length)]));
  return { config: cfg, theta: Float64Array.from(theta), buffers, step: 0 };
}

/** One step in place with learning rate `lr`. */
export function refOptimizerStep(s: RefOptimizerState, grad: ArrayLike<number>, lr: number): void {
  const c = s.config;
  const th = s.theta;
  s.step += 1;
  if (c.kind === 'sgd') {
    const buf = s.buffers.get('momentum_buffer');
    for (let i = 0; i < th.length; i++) {
      let d = grad[i] + c.weightDecay * th[i];
      if (buf) {
        // torch: buf = clone(d_p) on the first step, else buf.mul_(μ).add_(d_p, alpha=1 − dampening).
        buf[i] = s.step === 1 ? d : c.momentum * buf[i] + (1 - c.dampening) * d;
        d = c.nesterov ? d + c.momentum * buf[i] : buf[i];
      }
      th[i] -= lr * d;
    }
    return;
  }
  const m = s.buffers.get('exp_avg')!;
  const v = s.buffers.get('exp_avg_sq')!;
  const stepSize = lr / (1 - c.beta1 ** s.step);
  const bc2Sqrt = Math.sqrt(1 - c.beta2 ** s.step);
  for (let i = 0; i < th.length; i++) {
    let g = grad[i];
    if (c.kind === 'adamw') th[i] *= 1 - lr * c.weightDecay;
    else g += c.weightDecay * th[i];
    m[i] = c.beta1 * m[i] + (1 - c.beta1) * g;
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * g * g;
    th[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + c.eps);
  }
}
