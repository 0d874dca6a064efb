/**
 * The single-vector per-layer reference: one layer's diagonal Hessian block as an operator in the
 * layer's own coordinates (each product embeds the vector into the full parameter space with zeros
 * elsewhere and keeps the layer's rows), and its λmax by power iteration, layer after layer — what
 * perLayerSharpnessBlock is tested against.
 */
import type { Mlp, EvalOptions } from '../../src/autograd/mlp';
import type { ParamLayout } from '../../src/autograd/layout';
import type { GpuDataset } from '../../src/data/gpu-dataset';
import { Tensor } from '../../src/gpu/tensor';
import { requireOneRow, type BlockOperator } from '../../src/probe/block-operator';
import { layerBlock, type LayerSharpness, type ParamBlock } from '../../src/probe/layer';
import { copyVector } from '../../src/probe/vector-ops';
import { hessianOperator } from './operator';
import { topEigenvalue, type PowerOptions } from './power';

/**
 * The diagonal block of op for one layer. It owns only its two small vectors; `op` stays the
 * caller's, and several block operators may share it (each product re-zeroes op.input).
 */
export function layerOperator(op: BlockOperator, layout: ParamLayout, layer: number): BlockOperator & { block: ParamBlock } {
  requireOneRow(op, 'layerOperator');
  if (layout.size !== op.size) throw new Error(`layerOperator: the layout has ${layout.size} parameters; the operator has ${op.size}`);
  const block = layerBlock(layout, layer);
  const input = Tensor.create(op.gpu, [block.size], { label: `layer${layer}:input` });
  const output = Tensor.create(op.gpu, [block.size], { label: `layer${layer}:output` });
  return {
    gpu: op.gpu,
    size: block.size,
    k: 1,
    input,
    output,
    block,
    encode(encoder) {
      encoder.clearBuffer(op.input.buffer);
      copyVector(encoder, input, op.input, block.size, 0, block.offset);
      op.encode(encoder);
      copyVector(encoder, op.output, output, block.size, block.offset, 0);
    },
    destroy() {
      input.destroy();
      output.destroy();
    },
  };
}

/** λmax of every layer's diagonal Hessian block, by power iteration (shifted when the block's dominant eigenvalue is negative). */
export async function perLayerSharpness(
  model: Mlp, data: GpuDataset, options: Omit<PowerOptions, 'shift'> & EvalOptions = {},
): Promise<LayerSharpness[]> {
  const { chunkSize, weightDecay, includeRegulariser, ...power } = options;
  const hessian = await hessianOperator(model, data, { chunkSize, weightDecay, includeRegulariser });
  try {
    const results: LayerSharpness[] = [];
    for (let layer = 0; layer < model.layout.layers.length; layer++) {
      const op = layerOperator(hessian, model.layout, layer);
      try {
        const r = await topEigenvalue(op, power);
        results.push({
          layer, params: op.size, lambdaMax: r.eigenvalue, converged: r.converged,
          iterations: r.iterations, residual: r.residual, hvps: r.hvps,
        });
      } finally {
        op.destroy();
      }
    }
    return results;
  } finally {
    hessian.destroy();
  }
}

