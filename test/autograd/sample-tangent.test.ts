/** Per-sample directional derivatives u_jᵀ∇ℓ_s (forward tangents only) vs float64 per-sample gradients. */
import { describe, expect, it } from 'vitest';
import { refGradient, type Activation } from '../../src/autograd/reference';
import { SampleTangentPlan } from '../../src/autograd/sample-tangent-pass';
import { gradientNoise } from '../../src/probe/gradient-noise';
import { Tensor } from '../../src/gpu/tensor';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';
import { makeProblem, maxAbs } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

const CASES: { widths: number[]; act: Activation; count: number; k: number; chunkSize?: number }[] = [
  { widths: [7, 5, 3], act: 'relu', count: 1, k: 1 },
  { widths: [33, 7, 9, 10], act: 'tanh', count: 7, k: 3 },
  { widths: [12, 33, 7, 3], act: 'gelu', count: 33, k: 5, chunkSize: 13 },
  { widths: [33, 7, 10], act: 'relu', count: 33, k: 16, chunkSize: 32 },
];

describe(`per-sample loss tangents (seed ${seed})`, () => {
  for (const c of CASES) {
    it(`${c.act} ${c.widths.join('-')}, k = ${c.k}, ${c.count} samples${c.chunkSize ? `, chunks of ${c.chunkSize}` : ''}`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, c.widths, c.act, c.count, seed);
      const P = model.layout.size;
      const F = c.widths[0];
      const u = randomNormal(c.k * P, seed + 5);
      const U = Tensor.create(g, [c.k, P], { label: 'U', data: u });
      const out = Tensor.create(g, [c.k, c.count], { label: 'out', fill: NaN });
      const plan = await SampleTangentPlan.prepare(model, { data, directions: U, k: c.k, out, chunkSize: c.chunkSize });
      const encoder = g.device.createCommandEncoder();
      plan.encode(encoder);
      g.device.queue.submit([encoder.finish()]);
      const got = await out.read();
      // Float64: the gradient of each sample's own loss (a batch of one), dotted with each direction.
      const want = new Float64Array(c.k * c.count);
      for (let s = 0; s < c.count; s++) {
        const grad = refGradient(params, { x: batch.x.subarray(s * F, (s + 1) * F), labels: [batch.labels[s]], count: 1 }, ref);
        for (let j = 0; j < c.k; j++) {
          let d = 0;
          for (let i = 0; i < P; i++) d += u[j * P + i] * grad[i];
          want[j * c.count + s] = d;
        }
      }
      expect(maxAbs(want)).toBeGreaterThan(0);
      expectClose(got, want, { atol: 1e-5 * maxAbs(want), rtol: 1e-4 }, 'uᵀ∇ℓ_s');
      plan.destroy();
      if (c.count > 1) {
        // The probe's covariance of the per-sample derivatives, against float64 from the reference values.
        const noise = await gradientNoise(model, data, U, c.k, c.chunkSize);
        const mean = Array.from({ length: c.k }, (_, j) => want.subarray(j * c.count, (j + 1) * c.count).reduce((a, b) => a + b, 0) / c.count);
        const cov = new Float64Array(c.k * c.k);
        for (let a = 0; a < c.k; a++) {
          for (let b = 0; b < c.k; b++) {
            let s = 0;
            for (let n = 0; n < c.count; n++) s += (want[a * c.count + n] - mean[a]) * (want[b * c.count + n] - mean[b]);
            cov[a * c.k + b] = s / (c.count - 1);
          }
        }
        expectClose(noise.mean, mean, { atol: 1e-5 * maxAbs(want), rtol: 1e-4 }, 'mean derivative');
        expectClose(noise.covariance, cov, { atol: 1e-5 * maxAbs(cov), rtol: 1e-3 }, 'covariance');
        expectClose(noise.variance, Array.from({ length: c.k }, (_, j) => cov[j * c.k + j]), { atol: 0, rtol: 1e-3 }, 'c_i');
      }
      for (const t of [U, out]) t.destroy();
      model.destroy();
      data.destroy();
    });
  }

  it('rejects an output too small for k × count, naming the sizes', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [7, 5, 3], 'relu', 9, seed);
    const U = Tensor.create(g, [2, model.layout.size], { label: 'U' });
    const out = Tensor.create(g, [17], { label: 'out' });
    await expect(SampleTangentPlan.prepare(model, { data, directions: U, k: 2, out })).rejects.toThrow(/2 directions × 9 samples need 18/);
    for (const t of [U, out]) t.destroy();
    model.destroy();
    data.destroy();
  });
});
