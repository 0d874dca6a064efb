/**
 * Per-layer curvature: the diagonal block of the Hessian that couples one layer's parameters (its
 * W and b, contiguous in the flat layout) with themselves. Layers can be sharp or flat on their
 * own, which the full spectrum hides; the block's λmax says how far that layer alone can move.
 *
 * The block operator lives in the layer's own coordinates (size = the layer's parameter count),
 * so the solvers' vectors are that small; each product embeds the vector into the full parameter
 * space with zeros elsewhere, applies the full operator, and keeps the layer's rows of the result.
 */
import type { Mlp, EvalOptions } from '../autograd/mlp';
import type { ParamLayout } from '../autograd/layout';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { hessianOperator, type LinearOperator } from './operator';
import { topEigenvalue, type PowerOptions } from './power';
import { copyVector } from './vector-ops';
import { hessianBlockOperator, restrictRows } from './block-operator';
import { blockEigen } from './block-eigen';

/** A contiguous range of the flat parameter vector. */
export interface ParamBlock {
  offset: number;
  size: number;
}

export function layerBlock(layout: ParamLayout, layer: number): ParamBlock {
  const slice = layout.layers[layer];
  if (!Number.isInteger(layer) || !slice) {
    throw new Error(`layer ${layer} does not exist: the network has layers 0..${layout.layers.length - 1}`);
  }
  return { offset: slice.weightOffset, size: slice.inDim * slice.outDim + slice.outDim };
}

/**
 * The diagonal block of op for one layer. It owns only its two small vectors; `op` stays the
 * caller's, and several block operators may share it (each product re-zeroes op.input).
 */
export function layerOperator(op: LinearOperator, layout: ParamLayout, layer: number): LinearOperator & { block: ParamBlock } {
  if (layout.size !== op.size) throw new Error(`layerOperator: the layout has ${layout.size} parameters; the operator has ${op.size}`);
  const block = layerBlock(layout, layer);
  const input = Tensor.create(op.gpu, [block.size], { label: `layer${layer}:input` });
  const output = Tensor.create(op.gpu, [block.size], { label: `layer${layer}:output` });
  return {
    gpu: op.gpu,
    size: block.size,
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

export interface LayerSharpness {
  layer: number;
  params: number;
  /** Largest algebraic eigenvalue of the layer's Hessian block. */
  lambdaMax: number;
  converged: boolean;
  iterations: number;
  residual: number;
  hvps: number;
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

/**
 * λmax of every layer's diagonal Hessian block in one block subspace iteration: a block of about
 * k directions, ⌊k/L⌋ per layer, each row restricted to its layer (restrictRows), so every block
 * pass advances all layers at once. `residual` is relative to the layer's λmax, as in perLayerSharpness.
 */
export async function perLayerSharpnessBlock(
  model: Mlp, data: GpuDataset, k: number, options: Pick<PowerOptions, 'tol' | 'maxIter' | 'seed'> & EvalOptions = {},
): Promise<LayerSharpness[]> {
  const { tol, maxIter, seed, ...evalOptions } = options;
  const L = model.layout.layers.length;
  const per = Math.max(1, Math.floor(k / L));
  const full = await hessianBlockOperator(model, data, per * L, evalOptions);
  try {
    const ranges = model.layout.layers.flatMap((_, l) => Array<ParamBlock>(per).fill(layerBlock(model.layout, l)));
    const r = await blockEigen(restrictRows(full, ranges), { groups: L, tol, maxIter, seed });
    return r.groups.map((g, layer) => ({
      layer, params: ranges[layer * per].size, lambdaMax: g.values[0], converged: g.converged[0],
      iterations: r.iterations, residual: g.residuals[0] / Math.abs(g.values[0]), hvps: r.hvps,
    }));
  } finally {
    full.destroy();
  }
}
