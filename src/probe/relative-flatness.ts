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
 */
import type { EvalOptions, Mlp } from '../autograd/mlp';
import type { ParamLayout } from '../autograd/layout';
import type { GpuDataset } from '../data/gpu-dataset';
import { Rng } from '../util/rng';
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
}

export interface RelativeFlatness {
  /** The mean of the per-probe estimates: an unbiased estimate of κ. */
  kappa: number;
  /** Sample standard deviation / √samples (NaN for a single probe). */
  standardError: number;
  samples: number;
  layer: number;
  seed: number;
  /** dᵀHd for each probe, in order. */
  estimates: number[];
  hvps: number;
}

export async function relativeFlatness(model: Mlp, data: GpuDataset, options: RelativeFlatnessOptions = {}): Promise<RelativeFlatness> {
  const layout = model.layout;
  const { samples = 8, seed = 0, layer = layout.layers.length - 1, blockSize, ...evalOptions } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`relativeFlatness: samples must be a positive integer, got ${samples}`);
  checkLayer(layout, layer);
  const k = blockSize ?? Math.min(samples, 16);
  if (!Number.isInteger(k) || k < 1) throw new Error(`relativeFlatness: blockSize must be a positive integer, got ${blockSize}`);
  const draw = flatnessProbes(await model.getParams(), layout, layer, seed);
  const op = await hessianBlockOperator(model, data, k, evalOptions);
  try {
    const estimates = await blockQuadraticForms(op, samples, draw, 'relativeFlatness');
    return {
      kappa: mean(estimates), standardError: std(estimates) / Math.sqrt(samples), samples, layer, seed, estimates,
      hvps: Math.ceil(samples / k) * k,
    };
  } finally {
    op.destroy();
  }
}

/**
 * The estimator's probes in order: each call returns the next d (P floats, zero outside the layer's
 * weights). r and z come from one stream seeded by `seed`, r first then z for each probe.
 */
export function flatnessProbes(params: ArrayLike<number>, layout: ParamLayout, layer: number, seed: number): () => Float32Array {
  checkLayer(layout, layer);
  if (params.length !== layout.size) throw new Error(`flatnessProbes: ${params.length} parameters for a network of ${layout.size}`);
  const { inDim, outDim, weightOffset } = layout.layers[layer];
  const rng = new Rng(seed);
  return () => {
    const r = Array.from({ length: inDim }, () => rng.sign());
    const z = Array.from({ length: inDim }, () => rng.sign());
    const d = new Float32Array(layout.size);
    for (let s = 0; s < outDim; s++) {
      const row = weightOffset + s * inDim;
      let wr = 0;
      for (let j = 0; j < inDim; j++) wr += params[row + j] * r[j];
      for (let j = 0; j < inDim; j++) d[row + j] = wr * z[j];
    }
    return d;
  };
}

function checkLayer(layout: ParamLayout, layer: number): void {
  const L = layout.layers.length;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) {
    throw new Error(`relativeFlatness: layer ${layer} does not exist; the network has layers 0…${L - 1} (the last, ${L - 1}, is the feature → output layer)`);
  }
}
