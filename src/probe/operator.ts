/**
 * The symmetric linear operator the eigen-solvers iterate on. It owns two parameter-space
 * buffers: the solver writes a vector into `input`, encodes `encode()`, and finds A·input in
 * `output` — all inside the solver's command encoder, with no host round trip.
 */
import type { Gpu } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import type { Mlp, EvalOptions } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import type { PassPlan } from '../autograd/pass';

export interface LinearOperator {
  gpu: Gpu;
  size: number;
  input: Tensor;
  output: Tensor;
  /** Record output ← A·input. */
  encode(encoder: GPUCommandEncoder): void;
  destroy(): void;
}

/** The Hessian of the model's loss over `data` (the data loss unless includeRegulariser). */
export async function hessianOperator(model: Mlp, data: GpuDataset, options: EvalOptions = {}): Promise<LinearOperator & { plan: PassPlan }> {
  const input = model.vector('hessian:input');
  const output = model.vector('hessian:output');
  const plan = await model.preparePass({ kind: 'hvp', data, direction: input, product: output, ...options });
  return {
    gpu: model.gpu,
    size: model.layout.size,
    input,
    output,
    plan,
    encode: (encoder) => plan.encode(encoder),
    destroy: () => {
      plan.destroy();
      input.destroy();
      output.destroy();
    },
  };
}
