/**
 * Function-preserving rescalings of a ReLU network (Dinh et al. 2017, "Sharp Minima Can Generalize
 * For Deep Nets", ICML). Per neuron: neuron i of layer l has its incoming weights and bias multiplied
 * by c_i > 0 and its outgoing weights (column i of layer l+1's W) by 1/c_i. ReLU is positively
 * homogeneous (φ(cz) = cφ(z) for c > 0), so layer l+1 sees exactly the same inputs and the network
 * computes the same function — while the Hessian's entries move by c_i^±2 and products of them, so
 * λmax, the trace and any measure that is not normalised per neuron change at will. The whole-layer
 * rescaling (rescaleLayers) is the special case c_i = α for every i. Any other activation changes the
 * function, and is refused.
 */
import { ShapeError } from '../gpu/errors';
import type { ParamLayout } from './layout';
import type { Activation } from '../vocabulary';
import { Rng } from '../util/rng';

export interface Rescaling {
  /** Layer l (0-based): its W and b are multiplied by alpha, layer l + 1's W divided by it. */
  layer: number;
  alpha: number;
}

export interface NeuronRescaling {
  /** Layer l (0-based): row i of its W and b_i are multiplied by factors[i], column i of layer l + 1's W divided by it. */
  layer: number;
  factors: ArrayLike<number>;
}

export function rescaleLayers(params: ArrayLike<number>, layout: ParamLayout, activation: Activation, r: Rescaling): Float32Array {
  checkRescaling(layout, activation, r);
  return rescaleNeurons(params, layout, activation, { layer: r.layer, factors: new Array<number>(layout.layers[r.layer].outDim).fill(r.alpha) });
}

export function rescaleNeurons(params: ArrayLike<number>, layout: ParamLayout, activation: Activation, r: NeuronRescaling): Float32Array {
  checkActivation(activation);
  checkLayer(layout, r.layer);
  const scaled = layout.layers[r.layer];
  const next = layout.layers[r.layer + 1];
  if (r.factors.length !== scaled.outDim) {
    throw new ShapeError(`per-neuron rescaling: ${r.factors.length} factors for layer ${r.layer}'s ${scaled.outDim} neurons`);
  }
  for (let i = 0; i < r.factors.length; i++) checkFactor(r.factors[i]);
  if (params.length !== layout.size) throw new ShapeError(`Dinh rescaling: ${params.length} parameters for a network of ${layout.size}`);
  const out = Float32Array.from(params);
  for (let i = 0; i < scaled.outDim; i++) {
    const c = r.factors[i];
    for (let j = 0; j < scaled.inDim; j++) out[scaled.weightOffset + i * scaled.inDim + j] = params[scaled.weightOffset + i * scaled.inDim + j] * c;
    out[scaled.biasOffset + i] = params[scaled.biasOffset + i] * c;
    for (let s = 0; s < next.outDim; s++) out[next.weightOffset + s * next.inDim + i] = params[next.weightOffset + s * next.inDim + i] / c;
  }
  return out;
}

/**
 * n per-neuron factors drawn log-uniformly from [1/spread, spread] with a seeded stream: a spread of
 * scales across neurons (a whole-layer factor would be one value), the same on every machine.
 */
export function neuronFactors(n: number, spread: number, seed: number): number[] {
  if (!(spread >= 1 && Number.isFinite(spread))) throw new ShapeError(`per-neuron rescaling: the spread must be a finite number ≥ 1 (factors in [1/spread, spread]), got ${spread}`);
  const rng = new Rng(seed);
  const log = Math.log(spread);
  return Array.from({ length: n }, () => Math.exp(log * (2 * rng.uniform() - 1)));
}

/** Throws, naming the cause and the fix, unless the rescaling leaves this network's function unchanged. */
export function checkRescaling(layout: ParamLayout, activation: Activation, r: Rescaling): void {
  checkActivation(activation);
  checkFactor(r.alpha);
  checkLayer(layout, r.layer);
}

function checkActivation(activation: Activation): void {
  if (activation !== 'relu') {
    throw new Error(`Dinh rescaling needs a positively homogeneous activation (relu: φ(αz) = αφ(z) for α > 0); this network uses ` +
      `'${activation}', for which scaling a layer changes the function, so no sharpness comparison would mean anything. ` +
      'Fix: run the rescaling check on a relu network, or turn it off (probe.invariant.rescaleAlpha 0).');
  }
}

function checkFactor(alpha: number): void {
  if (!(alpha > 0 && Number.isFinite(alpha))) {
    throw new RangeError(`Dinh rescaling: alpha must be a finite number > 0 (a negative factor flips ReLU's sign), got ${alpha}`);
  }
}

function checkLayer(layout: ParamLayout, layer: number): void {
  const L = layout.layers.length;
  if (!Number.isInteger(layer) || layer < 0 || layer > L - 2) {
    throw new ShapeError(`Dinh rescaling: layer ${layer} needs a layer after it; this network's layers are 0…${L - 1}, so use 0…${L - 2}`);
  }
}
