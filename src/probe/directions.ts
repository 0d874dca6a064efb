/**
 * Directions in parameter space for probing the landscape around θ: random Gaussian directions,
 * Li et al.'s filter normalisation, and plain rescaling (for the gradient or an eigenvector the
 * caller already has).
 *
 * These are built on the host. A direction is made once per plot or per perturbation sample and is
 * P floats — one upload, against a full pass over the data for every point evaluated with it —
 * and host float64 keeps the row norms exact to float32 rounding. The GPU work is the evaluation
 * of L(θ + α·d), which is where the cost is (slices.ts).
 *
 * Filter normalisation (Li, Xu, Taylor, Studer & Goldstein 2018, "Visualizing the Loss Landscape
 * of Neural Nets", §4): a raw random direction is blind to the scale of the weights, so plots of
 * networks whose layers differ in scale (or that are rescaled copies of each other, as ReLU nets
 * can be without changing their function) are not comparable. Each filter of d is rescaled to the
 * norm of the same filter of θ. For a fully connected layer a filter is one output neuron's
 * incoming weights: one row of W (out × in, row-major, see layout.ts).
 */
import type { ParamLayout } from '../autograd/layout';
import { Rng } from '../util/rng';

/** A direction with i.i.d. N(0, 1) entries over every parameter (biases too), reproducible from the seed. */
export function randomDirection(layout: ParamLayout, seed: number): Float32Array {
  const rng = new Rng(seed);
  const d = new Float32Array(layout.size);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal();
  return d;
}

/**
 * d with each row of each W rescaled to the norm of the same row of θ, and every bias entry 0.
 *
 * Biases are zeroed as in Li et al.'s reference code (`ignore='biasbn'`): they are a small share of
 * the parameters, and a bias "filter" is a single number, so matching its norm would only copy
 * |b| into the direction with a random sign. A row of d that is all zero, or the matching row of θ
 * that is, gives a zero row (there is nothing to rescale; their code divides by ‖d‖ + 1e-10 to the
 * same effect).
 */
export function filterNormalise(direction: ArrayLike<number>, params: ArrayLike<number>, layout: ParamLayout): Float32Array {
  checkLength('filterNormalise: direction', direction, layout.size);
  checkLength('filterNormalise: params', params, layout.size);
  const out = new Float32Array(layout.size);
  for (const { inDim, outDim, weightOffset } of layout.layers) {
    for (let row = 0; row < outDim; row++) {
      const start = weightOffset + row * inDim;
      const dNorm = norm(direction, start, inDim);
      if (dNorm === 0) continue;
      const scale = norm(params, start, inDim) / dNorm;
      for (let i = start; i < start + inDim; i++) out[i] = direction[i] * scale;
    }
  }
  return out;
}

/**
 * Kwon et al. 2021's elementwise (adaptive) scaling: c⊙u·√P/‖u‖ with c_i = |θ_i| + η over all P
 * parameters, biases included — ‖d ⊘ c‖ = √P, so ρ·d moves each entry by ~ρ of its own size (a
 * Gaussian u makes this Andriushchenko et al. 2023's N(0, ρ²·diag(c²)) with its norm fixed). With
 * η = 0 scaling any entries of θ by positive factors that leave the function unchanged (Dinh et
 * al. 2017's ReLU rescalings) scales d the same way.
 */
export function elementwiseScale(direction: ArrayLike<number>, params: ArrayLike<number>, eta: number): Float32Array {
  checkLength('elementwiseScale: direction', direction, params.length);
  const n = norm(direction);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`elementwiseScale: the direction's norm is ${n}; it needs a finite, non-zero norm`);
  const scale = Math.sqrt(params.length) / n;
  return Float32Array.from(direction, (x, i) => (Math.abs(params[i]) + eta) * x * scale);
}

/** The direction rescaled to the given Euclidean length (a unit vector by default). */
export function normalise(direction: ArrayLike<number>, length = 1): Float32Array {
  const n = norm(direction);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`normalise: the direction's norm is ${n}; it needs a finite, non-zero norm`);
  const scale = length / n;
  return Float32Array.from(direction, (x) => x * scale);
}

/** Euclidean norm of x[start, start + count), accumulated in float64. */
export function norm(x: ArrayLike<number>, start = 0, count = x.length - start): number {
  let sq = 0;
  for (let i = start; i < start + count; i++) sq += x[i] * x[i];
  return Math.sqrt(sq);
}

function checkLength(what: string, x: ArrayLike<number>, size: number): void {
  if (x.length !== size) throw new Error(`${what} has ${x.length} elements; the network has ${size} parameters`);
}
