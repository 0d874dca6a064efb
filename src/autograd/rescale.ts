/**
 * Dinh et al. 2017 ("Sharp Minima Can Generalize For Deep Nets", ICML) rescaling: layer l's
 * weights and bias times α, layer l+1's weights times 1/α. For a positively homogeneous activation
 * (ReLU: φ(αz) = αφ(z) for α > 0) layer l's outputs grow by α and layer l+1 undoes it, so the
 * network computes the same function — while the Hessian's blocks move by α⁻² and α², so λmax and
 * the trace change at will. Any other activation changes the function, and is refused.
 */
import { ShapeError } from '../gpu/errors';
import type { ParamLayout } from './layout';
import type { Activation } from '../vocabulary';

export interface Rescaling {
  /** Layer l (0-based): its W and b are multiplied by alpha, layer l + 1's W divided by it. */
  layer: number;
  alpha: number;
}

export function rescaleLayers(params: ArrayLike<number>, layout: ParamLayout, activation: Activation, r: Rescaling): Float32Array {
  checkRescaling(layout, activation, r);
  if (params.length !== layout.size) throw new ShapeError(`rescaleLayers: ${params.length} parameters for a network of ${layout.size}`);
  const out = Float32Array.from(params);
  const scaled = layout.layers[r.layer];
  for (let i = scaled.weightOffset; i < scaled.biasOffset + scaled.outDim; i++) out[i] = params[i] * r.alpha;
  const next = layout.layers[r.layer + 1];
  for (let i = next.weightOffset; i < next.biasOffset; i++) out[i] = params[i] / r.alpha;
  return out;
}

/** Throws, naming the cause and the fix, unless the rescaling leaves this network's function unchanged. */
export function checkRescaling(layout: ParamLayout, activation: Activation, r: Rescaling): void {
  if (activation !== 'relu') {
    throw new Error(`Dinh rescaling needs a positively homogeneous activation (relu: φ(αz) = αφ(z) for α > 0); this network uses ` +
      `'${activation}', for which scaling a layer changes the function, so no sharpness comparison would mean anything. ` +
      'Fix: run the rescaling check on a relu network, or turn it off (probe.invariant.rescaleAlpha 0).');
  }
  if (!(r.alpha > 0 && Number.isFinite(r.alpha))) {
    throw new RangeError(`Dinh rescaling: alpha must be a finite number > 0 (a negative factor flips ReLU's sign), got ${r.alpha}`);
  }
  const L = layout.layers.length;
  if (!Number.isInteger(r.layer) || r.layer < 0 || r.layer > L - 2) {
    throw new ShapeError(`Dinh rescaling: layer ${r.layer} needs a layer after it; this network's layers are 0…${L - 1}, so use 0…${L - 2}`);
  }
}
