/**
 * Per-layer curvature: the diagonal block of the Hessian that couples one layer's parameters (its
 * W and b, contiguous in the flat layout) with themselves. Layers can be sharp or flat on their
 * own, which the full spectrum hides; the block's λmax says how far that layer alone can move.
 *
 * Every layer's block is found in one block subspace iteration on the full operator, each row
 * restricted to its layer's range (restrictRows), so one block pass advances all layers.
 */
import type { Mlp, EvalOptions } from '../autograd/mlp';
import type { ParamLayout } from '../autograd/layout';
import type { GpuDataset } from '../data/gpu-dataset';
import { hessianBlockOperator, restrictRows } from './block-operator';
import { blockEigen, type BlockEigenOptions } from './block-eigen';

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

/**
 * λmax of every layer's diagonal Hessian block in one block subspace iteration: a block of about
 * k directions, ⌊k/L⌋ per layer, each row restricted to its layer (restrictRows), so every block
 * pass advances all layers at once (k = 1: one direction per layer). `residual` is relative to the layer's λmax.
 */
export async function perLayerSharpnessBlock(
  model: Mlp, data: GpuDataset, k: number, options: Pick<BlockEigenOptions, 'tol' | 'maxIter' | 'seed'> & EvalOptions = {},
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
