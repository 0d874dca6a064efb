/**
 * The gradient noise scale B_simple = tr(Σ)/‖G‖² (McCandlish et al. 2018, "An Empirical Model of
 * Large-Batch Training"): the batch size at which a minibatch gradient's noise (variance tr(Σ)/B)
 * equals the squared signal ‖G‖². From one reverse pass over N samples
 * (autograd/sample-norms-pass.ts), which gives each sample's squared gradient norm per layer,
 * ‖g_{s,l}‖², and the mean gradient G, then in float64 on the host:
 *   tr(Σ) = (Σ_s ‖g_s‖² − N‖G‖²)/(N − 1)    (the unbiased trace of the per-sample gradients' covariance)
 *   B_simple = tr(Σ)/‖G‖²,  and per layer the same with layer l's slice of g_s and G.
 * No per-sample gradient is stored. These are the data loss's gradients (the regulariser has no
 * spread over samples).
 *
 * When the N samples are a subset of the training set, ‖G‖² of their mean overestimates the
 * training set's squared gradient by about tr(Σ)/N (McCandlish et al. App. A), so B_simple is
 * biased low once it nears N: read it as "noise dominates at any batch size ≳ N" then.
 *
 * Interval (optional): a percentile bootstrap over samples. Resampling needs ‖G*‖² of each
 * resample's mean gradient, which per-sample norms alone do not give; to first order
 * ‖G*‖² = 2·G·G* − ‖G‖² = 2·mean*(G·g_s) − ‖G‖², so one more pass — the per-sample directional
 * derivatives along G (autograd/sample-tangent-pass.ts, a forward with one tangent) — gives
 * every resample's statistic exactly up to that linearisation, which holds while the resampling
 * noise in G (≈ tr(Σ)/N) is small beside ‖G‖², i.e. B_simple ≪ N.
 *
 * Cost: one forward + backward pass over the data (a gradient pass), plus for the interval one
 * forward pass carrying one tangent.
 */
import type { Mlp } from '../autograd/mlp';
import type { ParamLayout } from '../autograd/layout';
import { SampleNormsPlan } from '../autograd/sample-norms-pass';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { bootstrapInterval, type BootstrapOptions, type Interval } from '../util/bootstrap';
import { perSampleDerivatives } from './gradient-noise';

export interface NoiseScaleParts {
  /** tr(Σ)/‖G‖² (NaN when G = 0). */
  bSimple: number;
  /** The unbiased trace of the per-sample gradients' covariance. */
  traceSigma: number;
  /** ‖G‖², G the mean gradient over the samples. */
  gradNormSq: number;
  /** The mean of the per-sample squared norms ‖g_s‖². */
  meanSampleNormSq: number;
}

export interface NoiseScale extends NoiseScaleParts {
  samples: number;
  /** Layer l's weights and bias alone (l = 0 the first layer). */
  perLayer: NoiseScaleParts[];
  /** Bootstrap interval of bSimple over samples (see the header), when asked for. */
  interval?: Interval;
}

export interface NoiseScaleOptions {
  chunkSize?: number;
  /** A bootstrap interval of bSimple (one more pass); false or absent: none. */
  interval?: BootstrapOptions | false;
}

/** One reverse pass: the L × N per-layer per-sample squared norms and the mean gradient (P floats). */
export async function sampleGradientNorms(model: Mlp, data: GpuDataset, chunkSize?: number): Promise<{ norms: Float32Array; gradient: Float32Array }> {
  const L = model.layout.layers.length;
  const gradient = Tensor.create(model.gpu, [model.layout.size], { label: 'noise-scale:gradient' });
  const norms = Tensor.create(model.gpu, [L, data.count], { label: 'noise-scale:norms' });
  let plan: SampleNormsPlan | undefined;
  try {
    plan = await SampleNormsPlan.prepare(model, { data, gradient, norms, chunkSize });
    model.gpu.submit((encoder) => plan!.encode(encoder));
    return { norms: (await norms.read()) as Float32Array, gradient: (await gradient.read()) as Float32Array };
  } finally {
    plan?.destroy();
    gradient.destroy();
    norms.destroy();
  }
}

/** B_simple of `data` (every sample) at the model's parameters; see the header. */
export async function gradientNoiseScale(model: Mlp, data: GpuDataset, o: NoiseScaleOptions = {}): Promise<NoiseScale> {
  if (data.count < 2) throw new Error(`gradient noise scale: needs at least 2 samples for a covariance, got ${data.count}`);
  const { norms, gradient } = await sampleGradientNorms(model, data, o.chunkSize);
  const result = noiseScale(norms, gradient, model.layout);
  if (!o.interval) return result;
  const G = Tensor.create(model.gpu, [1, model.layout.size], { label: 'noise-scale:G', data: gradient });
  try {
    const along = await perSampleDerivatives(model, data, G, 1, o.chunkSize);
    return { ...result, interval: noiseScaleInterval(norms, along, result, o.interval) };
  } finally {
    G.destroy();
  }
}

/** The noise scale from per-layer per-sample squared norms (L × N) and the mean gradient, in float64. */
export function noiseScale(norms: ArrayLike<number>, gradient: ArrayLike<number>, layout: ParamLayout): NoiseScale {
  const L = layout.layers.length;
  const N = norms.length / L;
  if (!Number.isInteger(N) || N < 2) throw new Error(`gradient noise scale: ${norms.length} norms do not make ${L} layers of at least 2 samples`);
  if (gradient.length !== layout.size) throw new Error(`gradient noise scale: the gradient has ${gradient.length} elements; the network has ${layout.size} parameters`);
  for (let i = 0; i < norms.length; i++) {
    if (!Number.isFinite(norms[i])) throw new Error(`gradient noise scale: sample ${i % N}'s squared gradient norm in layer ${Math.floor(i / N)} is ${norms[i]}`);
  }
  const perLayer = layout.layers.map(({ inDim, outDim, weightOffset }, l) => {
    let g2 = 0;
    for (let i = weightOffset; i < weightOffset + outDim * (inDim + 1); i++) g2 += gradient[i] * gradient[i];
    let q = 0;
    for (let s = 0; s < N; s++) q += norms[l * N + s];
    return parts(q / N, g2, N);
  });
  const total = parts(sum(perLayer.map((p) => p.meanSampleNormSq)), sum(perLayer.map((p) => p.gradNormSq)), N);
  if (!Number.isFinite(total.gradNormSq)) throw new Error(`gradient noise scale: the mean gradient's squared norm is ${total.gradNormSq}`);
  return { samples: N, ...total, perLayer };
}

/** The linearised bootstrap of the header, from the norms and the per-sample derivatives along G. */
function noiseScaleInterval(norms: ArrayLike<number>, along: ArrayLike<number>, whole: NoiseScale, opts: BootstrapOptions): Interval {
  const N = whole.samples;
  const q = new Float64Array(N);
  for (let i = 0; i < norms.length; i++) q[i % N] += norms[i];
  return bootstrapInterval(N, (cases) => {
    let mq = 0;
    let mp = 0;
    for (let i = 0; i < N; i++) {
      mq += q[cases[i]];
      mp += along[cases[i]];
    }
    const g2 = (2 * mp) / N - whole.gradNormSq;
    return g2 > 0 ? parts(mq / N, g2, N).bSimple : NaN;
  }, opts);
}

function parts(meanSampleNormSq: number, gradNormSq: number, N: number): NoiseScaleParts {
  const traceSigma = (N / (N - 1)) * (meanSampleNormSq - gradNormSq);
  return { bSimple: gradNormSq > 0 ? traceSigma / gradNormSq : NaN, traceSigma, gradNormSq, meanSampleNormSq };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
