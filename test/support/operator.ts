/**
 * The single-vector Hessian-vector product (one forward-over-reverse pass per vector, the 'hvp'
 * pass) as a one-row block operator: the reference the block pass (hessianBlockOperator) and the
 * block solvers are tested against. src/ runs every solver on the block pass.
 */
import type { Mlp, EvalOptions } from '../../src/autograd/mlp';
import type { GpuDataset } from '../../src/data/gpu-dataset';
import type { PassPlan } from '../../src/autograd/pass';
import type { BlockOperator } from '../../src/probe/block-operator';

/** The Hessian of the model's loss over `data` (the data loss unless includeRegulariser), k = 1. */
export async function hessianOperator(model: Mlp, data: GpuDataset, options: EvalOptions = {}): Promise<BlockOperator & { plan: PassPlan }> {
  const input = model.vector('hessian:input');
  const output = model.vector('hessian:output');
  const plan = await model.preparePass({ kind: 'hvp', data, direction: input, product: output, ...options });
  return {
    gpu: model.gpu,
    size: model.layout.size,
    k: 1,
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
