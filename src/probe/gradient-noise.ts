/**
 * The gradient noise along chosen directions: for unit directions u_1 … u_m, the per-sample
 * directional derivatives u_iᵀ∇ℓ_s over every sample s (one forward tangent pass,
 * autograd/sample-tangent-pass.ts; no per-sample gradient is stored), then on the host
 * c_i = Var_s(u_iᵀ∇ℓ_s) and the m × m covariance among the directions. For a minibatch of B
 * samples drawn without replacement from these N, the minibatch gradient's noise along u_i has
 * variance c_i·(1 − B/N)/B (with c_i the unbiased, N − 1, variance).
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { SampleTangentPlan } from '../autograd/sample-tangent-pass';

export interface GradientNoise {
  samples: number;
  /** The mean derivative u_iᵀ∇L (the full-batch gradient along u_i). */
  mean: number[];
  /** c_i = Var_s(u_iᵀ∇ℓ_s), unbiased. */
  variance: number[];
  /** m × m covariance of the per-sample derivatives (row-major); its diagonal is `variance`. */
  covariance: number[];
}

/** Per-sample derivatives (m × N, row i = direction i) of the rows of `directions` (m × P). */
export async function perSampleDerivatives(model: Mlp, data: GpuDataset, directions: Tensor, m: number, chunkSize?: number): Promise<Float32Array> {
  const out = Tensor.create(model.gpu, [m, data.count], { label: 'gradient-noise:per-sample' });
  let plan: SampleTangentPlan | undefined;
  try {
    plan = await SampleTangentPlan.prepare(model, { data, directions, k: m, out, chunkSize });
    model.gpu.submit((encoder) => plan!.encode(encoder));
    return (await out.read()) as Float32Array;
  } finally {
    plan?.destroy();
    out.destroy();
  }
}

export async function gradientNoise(model: Mlp, data: GpuDataset, directions: Tensor, m: number, chunkSize?: number): Promise<GradientNoise> {
  return noiseCovariance(await perSampleDerivatives(model, data, directions, m, chunkSize), m);
}

/** Mean, variance and covariance of m rows of N per-sample values, in float64. */
export function noiseCovariance(values: ArrayLike<number>, m: number): GradientNoise {
  const N = values.length / m;
  if (!Number.isInteger(N) || N < 2) throw new Error(`gradient noise: ${values.length} values do not make ${m} rows of at least 2 samples`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`gradient noise: the per-sample derivative of sample ${i % N} along direction ${Math.floor(i / N)} is ${values[i]}`);
  }
  const mean = Array.from({ length: m }, (_, i) => {
    let s = 0;
    for (let n = 0; n < N; n++) s += values[i * N + n];
    return s / N;
  });
  const covariance = new Array<number>(m * m).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += (values[i * N + n] - mean[i]) * (values[j * N + n] - mean[j]);
      covariance[i * m + j] = covariance[j * m + i] = s / (N - 1);
    }
  }
  return { samples: N, mean, variance: Array.from({ length: m }, (_, i) => covariance[i * m + i]), covariance };
}
