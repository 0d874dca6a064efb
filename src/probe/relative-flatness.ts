/**
 * Relative flatness (Petzka, Kamp, Adilova, Sminchisescu & Boley 2021, "Relative Flatness and
 * Generalization", NeurIPS) of one layer — by default the last, the feature → output layer the
 * paper measures. With W that layer's weights (out × in, row-major as in layout.ts: row w_s is
 * output neuron s's incoming weights) and H_{s,s'} the in × in Hessian block between rows s and s',
 *
 *   κ = Σ_{s,s'} ⟨w_s, w_s'⟩ · Tr(H_{s,s'}) = Σ_{s,s'} (WWᵀ)_{s,s'} Σ_j H_{(s,j),(s',j)}.
 *
 * It is invariant to rescaling the layer against the layers below by construction: scaling W by
 * 1/α while the features it reads grow by α multiplies H's W-block by α² and WWᵀ by 1/α².
 * (Chosen over the Fisher–Rao norm of Liang et al. 2019, which Jiang et al. 2020, "Fantastic
 * Generalization Measures and Where to Find Them", found a weak predictor of generalisation;
 * Petzka et al. prove a generalisation bound for κ and find it tracks the gap.)
 *
 * Estimated with Hessian-vector products only, Hutchinson-style: probes supported on W,
 *
 *   d_{(s,j)} = (W r)_s · z_j,   r, z ∈ {±1}^in independent Rademacher,
 *
 * give dᵀHd = Σ (Wr)_s (Wr)_{s'} z_j z_{j'} H_{(s,j),(s',j')}; E_z[z_j z_{j'}] = δ_{jj'} and
 * E_r[(Wr)_s (Wr)_{s'}] = Σ_k W_{sk} W_{s'k} = ⟨w_s, w_s'⟩, so E[dᵀHd] = κ. The probes depend on θ
 * only through W, so under a rescaling W → W/α they become d/α exactly while H's block becomes
 * α²·H: each sample dᵀHd — not just its mean — is unchanged, and the same seed gives the same
 * estimate before and after (up to float32 rounding). The probes are drawn on the host from the
 * seeded Rng (P floats each) and k of them go through one block HVP pass (blockQuadraticForms).
 *
 * The authors' protocol (`normalise: true`; their published code measures κ this way): first the
 * layer's input features φ_j(x) are scaled to unit standard deviation over the probe set — φ̃_j =
 * φ_j/σ_j with W̃_{sj} = W_{sj}·σ_j, the same function — and κ is measured in those coordinates:
 *
 *   κ̃ = Σ_{s,s'} ⟨w̃_s, w̃_s'⟩ · Tr(H̃_{s,s'}) + 2α Σ_s ‖w̃_s‖²,   H̃_{(s,j),(s',j')} = H_{(s,j),(s',j')} / (σ_j σ_j'),
 *
 * where the last term is their regulariser term under weight decay α (`decay`; added per neuron as
 * their code does, not the Hessian of ½α‖θ‖², which would add α·in·‖w_s‖²). Plain κ is invariant to
 * rescaling a whole layer against the next, but not to per-neuron rescaling of the layer below
 * (feature j × c_j, column j of W × 1/c_j moves κ by the c_j², unevenly); κ̃ is, since σ_j moves by
 * c_j too. No second network is built: the probes become d_{(s,j)} = (W̃r)_s · z_j / σ_j, so that
 * dᵀHd = d̃ᵀH̃d̃, and again each sample is unchanged by either rescaling. A feature with σ_j = 0 is a
 * constant over the probe set (a dead ReLU unit): its column carries no information beyond a bias and
 * is left out (weight column × 0, probe entries 0), which for a dead unit — feature and Hessian
 * column both zero — is what the authors' code computes.
 */
import type { EvalOptions, Mlp } from '../autograd/mlp';
import type { ParamLayout } from '../autograd/layout';
import type { Activation } from '../vocabulary';
import type { GpuDataset } from '../data/gpu-dataset';
import { Rng } from '../util/rng';
import { activate } from '../util/activation';
import { mean, std } from '../util/stats';
import { hessianBlockOperator } from './block-operator';
import { blockQuadraticForms } from './hutchinson';

export interface RelativeFlatnessOptions extends EvalOptions {
  /** Probes (default 8). */
  samples?: number;
  seed?: number;
  /** The layer whose weights are measured, 0-based (default the last: the feature → output layer). */
  layer?: number;
  /** Probes per block pass (default min(samples, 16)). */
  blockSize?: number;
  /** The authors' protocol: the layer's input features at unit standard deviation over `data` (default false). */
  normalise?: boolean;
  /** α of the regulariser term 2α Σ_s ‖w̃_s‖² (the run's coupled weight decay; default 0: no term). */
  decay?: number;
}

export interface RelativeFlatness {
  /** The mean of the per-probe estimates: an unbiased estimate of κ. */
  kappa: number;
  /** Sample standard deviation / √samples (NaN for a single probe). */
  standardError: number;
  samples: number;
  layer: number;
  seed: number;
  /** dᵀHd for each probe, in order, plus the regulariser term: each an unbiased estimate of κ. */
  estimates: number[];
  hvps: number;
  /** With `normalise`: σ_j of each input feature of the layer over the probe set (population standard deviation). */
  spread?: Float64Array;
  /** The regulariser term 2α Σ_s ‖w̃_s‖² included in kappa and every estimate (0 without decay). */
  regulariser: number;
}

export async function relativeFlatness(model: Mlp, data: GpuDataset, options: RelativeFlatnessOptions = {}): Promise<RelativeFlatness> {
  const layout = model.layout;
  const { samples = 8, seed = 0, layer = layout.layers.length - 1, blockSize, normalise = false, decay = 0, ...evalOptions } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`relativeFlatness: samples must be a positive integer, got ${samples}`);
  checkLayer(layout, layer);
  const k = blockSize ?? Math.min(samples, 16);
  if (!Number.isInteger(k) || k < 1) throw new Error(`relativeFlatness: blockSize must be a positive integer, got ${blockSize}`);
  if (!(decay >= 0 && Number.isFinite(decay))) throw new Error(`relativeFlatness: decay must be a finite number ≥ 0 (the weight decay α), got ${decay}`);
  const params = await model.getParams();
  const spread = normalise ? featureSpread(params, layout, model.activation, layer, await data.readInputs(), data.count) : undefined;
  const regulariser = decay === 0 ? 0 : 2 * decay * scaledWeightNorm(params, layout, layer, spread);
  const draw = flatnessProbes(params, layout, layer, seed, spread);
  const op = await hessianBlockOperator(model, data, k, evalOptions);
  try {
    const estimates = (await blockQuadraticForms(op, samples, draw, 'relativeFlatness')).map((q) => q + regulariser);
    return {
      kappa: mean(estimates), standardError: std(estimates) / Math.sqrt(samples), samples, layer, seed, estimates,
      hvps: Math.ceil(samples / k) * k, ...(spread ? { spread } : {}), regulariser,
    };
  } finally {
    op.destroy();
  }
}

/**
 * The estimator's probes in order: each call returns the next d (P floats, zero outside the layer's
 * weights). r and z come from one stream seeded by `seed`, r first then z for each probe, so plain
 * and normalised κ draw the same signs. With `spread` (σ_j per input feature), the normalised
 * probes d_{(s,j)} = (Σ_k W_{sk}σ_k r_k) · z_j / σ_j (0 where σ_j = 0).
 */
export function flatnessProbes(
  params: ArrayLike<number>, layout: ParamLayout, layer: number, seed: number, spread?: ArrayLike<number>,
): () => Float32Array {
  checkLayer(layout, layer);
  if (params.length !== layout.size) throw new Error(`flatnessProbes: ${params.length} parameters for a network of ${layout.size}`);
  const { inDim, outDim, weightOffset } = layout.layers[layer];
  if (spread && spread.length !== inDim) throw new Error(`flatnessProbes: ${spread.length} feature spreads for layer ${layer}'s ${inDim} inputs`);
  const inverse = spread ? Float64Array.from(spread, (x) => (x > 0 ? 1 / x : 0)) : undefined;
  const rng = new Rng(seed);
  return () => {
    const r = Array.from({ length: inDim }, () => rng.sign());
    const z = Array.from({ length: inDim }, () => rng.sign());
    const d = new Float32Array(layout.size);
    for (let s = 0; s < outDim; s++) {
      const row = weightOffset + s * inDim;
      let wr = 0;
      for (let j = 0; j < inDim; j++) wr += params[row + j] * (spread ? spread[j] : 1) * r[j];
      for (let j = 0; j < inDim; j++) d[row + j] = wr * z[j] * (inverse ? inverse[j] : 1);
    }
    return d;
  };
}

/**
 * σ_j of each input feature of `layer` over the given inputs (count × widths[0]): the population
 * standard deviation of h_j (layer 0: the inputs themselves; else φ of the previous layer's
 * pre-activations), by a float64 host forward pass one sample at a time (Welford's update), so
 * memory stays at a few layer widths whatever the probe set.
 */
export function featureSpread(
  params: ArrayLike<number>, layout: ParamLayout, activation: Activation, layer: number, inputs: ArrayLike<number>, count: number,
): Float64Array {
  checkLayer(layout, layer);
  const width = layout.layers[0].inDim;
  if (inputs.length !== count * width) throw new Error(`featureSpread: ${inputs.length} inputs for ${count} samples of ${width} features`);
  const n = layout.layers[layer].inDim;
  const meanAcc = new Float64Array(n);
  const m2 = new Float64Array(n);
  for (let row = 0; row < count; row++) {
    let h = Float64Array.from({ length: width }, (_, i) => inputs[row * width + i]);
    for (let l = 0; l < layer; l++) {
      const { inDim, outDim, weightOffset, biasOffset } = layout.layers[l];
      const next = new Float64Array(outDim);
      for (let o = 0; o < outDim; o++) {
        let z = params[biasOffset + o];
        for (let i = 0; i < inDim; i++) z += params[weightOffset + o * inDim + i] * h[i];
        next[o] = activate(activation, z);
      }
      h = next;
    }
    for (let j = 0; j < n; j++) {
      const delta = h[j] - meanAcc[j];
      meanAcc[j] += delta / (row + 1);
      m2[j] += delta * (h[j] - meanAcc[j]);
    }
  }
  return m2.map((x) => Math.sqrt(x / count));
}

/** Σ_s ‖w̃_s‖² with w̃_{sj} = W_{sj}·σ_j (σ ≡ 1 without a spread). */
function scaledWeightNorm(params: ArrayLike<number>, layout: ParamLayout, layer: number, spread?: ArrayLike<number>): number {
  const { inDim, outDim, weightOffset } = layout.layers[layer];
  let sum = 0;
  for (let s = 0; s < outDim; s++) {
    for (let j = 0; j < inDim; j++) sum += (params[weightOffset + s * inDim + j] * (spread ? spread[j] : 1)) ** 2;
  }
  return sum;
}

function checkLayer(layout: ParamLayout, layer: number): void {
  const L = layout.layers.length;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) {
    throw new Error(`relativeFlatness: layer ${layer} does not exist; the network has layers 0…${L - 1} (the last, ${L - 1}, is the feature → output layer)`);
  }
}
