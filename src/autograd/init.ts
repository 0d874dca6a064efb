/**
 * Seeded parameter initialisation shared by the CPU reference and the GPU model, so both start from
 * bit-identical float32 parameters and their results can be compared from step zero.
 */
import { paramLayout } from './layout';
import { isActivation, type Activation } from '../vocabulary';
import { Rng } from '../util/rng';

/**
 * Weights ~ N(0, σ²) with σ² = 2/fan_in (He) for relu and gelu, whose half-open shape halves the
 * variance passed on, and 2/(fan_in + fan_out) (Glorot) for tanh, which is linear near 0. Biases are 0.
 * Draws come from one Rng stream in layout order (layer by layer, W row-major); biases draw nothing.
 */
export function initParams(widths: readonly number[], activation: Activation, seed: number): Float32Array {
  if (!isActivation(activation)) throw new Error(`unknown activation '${activation}'`);
  const layout = paramLayout(widths);
  const rng = new Rng(seed);
  const params = new Float32Array(layout.size);
  for (const s of layout.layers) {
    const variance = activation === 'tanh' ? 2 / (s.inDim + s.outDim) : 2 / s.inDim;
    const sigma = Math.sqrt(variance);
    for (let i = 0; i < s.inDim * s.outDim; i++) params[s.weightOffset + i] = sigma * rng.normal();
  }
  return params;
}
