/**
 * Per-sample squared gradient norms (per layer, from activations and backpropagated signals) and
 * the gradient noise scale built on them, against float64 per-sample gradients of tiny nets.
 */
import { describe, expect, it } from 'vitest';
import { paramLayout } from '../../src/autograd/layout';
import { refGradient, type Activation } from '../../src/autograd/reference';
import { SampleNormsPlan } from '../../src/autograd/sample-norms-pass';
import { prepareSampleNorms } from '../../src/gpu/ops/sample-norms';
import { Tensor } from '../../src/gpu/tensor';
import { gradientNoiseScale } from '../../src/probe/noise-scale';
import { bootstrapInterval } from '../../src/util/bootstrap';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { dot, makeProblem, maxAbs } from '../support/nets';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();

describe(`sample_norms kernel (seed ${seed})`, () => {
  it('scale·‖δ_r‖²·(‖a_r‖² + 1) on awkward sizes, with offsets, overwriting NaN', async () => {
    const g = gpu();
    for (const [rows, outDim, inDim] of [[1, 1, 1], [7, 3, 33], [33, 65, 7], [5, 130, 129]]) {
      const delta = randomNormal(rows * outDim, seed + rows);
      const act = randomNormal(3 + rows * inDim, seed + inDim);
      const D = Tensor.create(g, [delta.length], { data: delta });
      const A = Tensor.create(g, [act.length], { data: act });
      const out = Tensor.create(g, [rows + 6], { fill: NaN });
      g.run([await prepareSampleNorms(g, { rows, outDim, inDim, delta: D, act: A, actOffset: 3, out, outOffset: 4, scale: 2.5 })]);
      const want = Array.from({ length: rows }, (_, r) => {
        let d = 0;
        let a = 0;
        for (let j = 0; j < outDim; j++) d += delta[r * outDim + j] ** 2;
        for (let j = 0; j < inDim; j++) a += act[3 + r * inDim + j] ** 2;
        return 2.5 * d * (a + 1);
      });
      const got = await out.read();
      expectClose(got.subarray(4, 4 + rows), want, { atol: 0, rtol: 1e-5 }, `${rows}×${outDim}, ${rows}×${inDim}`);
      expect([...got.subarray(0, 4), ...got.subarray(4 + rows)].every(Number.isNaN)).toBe(true);
      for (const t of [D, A, out]) t.destroy();
    }
  });

  it('refuses a delta that does not hold rows × outDim, naming the sizes', async () => {
    const g = gpu();
    const D = Tensor.create(g, [20]);
    const out = Tensor.create(g, [7]);
    await expect(prepareSampleNorms(g, { rows: 7, outDim: 3, inDim: 1, delta: D, act: out, out })).rejects.toThrow(/delta .*needs elements \[0, 21\) but holds 20/);
    for (const t of [D, out]) t.destroy();
  });
});

const CASES: { widths: number[]; act: Activation; count: number; chunkSize?: number }[] = [
  { widths: [7, 5, 3], act: 'relu', count: 1 },
  { widths: [33, 7, 9, 10], act: 'tanh', count: 7, chunkSize: 3 },
  { widths: [12, 33, 7, 3], act: 'relu', count: 33, chunkSize: 13 },
  { widths: [5, 65, 4], act: 'tanh', count: 33, chunkSize: 32 },
];

describe(`per-sample gradient norms and the noise scale vs float64 per-sample gradients (seed ${seed})`, () => {
  for (const c of CASES) {
    it(`${c.act} ${c.widths.join('-')}, ${c.count} samples${c.chunkSize ? `, chunks of ${c.chunkSize}` : ''}`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, c.widths, c.act, c.count, seed);
      const layout = paramLayout(c.widths);
      const P = layout.size;
      const L = layout.layers.length;
      const F = c.widths[0];
      // Float64: each sample's gradient (a batch of one), its per-layer squared norms, and the mean.
      const perSample = Array.from({ length: c.count }, (_, s) =>
        refGradient(params, { x: batch.x.subarray(s * F, (s + 1) * F), labels: [batch.labels[s]], count: 1 }, ref));
      const layerOf = (l: number) => [layout.layers[l].weightOffset, layout.layers[l].biasOffset + layout.layers[l].outDim];
      const wantNorms = new Float64Array(L * c.count);
      for (let l = 0; l < L; l++) {
        const [from, to] = layerOf(l);
        for (let s = 0; s < c.count; s++) {
          for (let i = from; i < to; i++) wantNorms[l * c.count + s] += perSample[s][i] ** 2;
        }
      }
      const mean = new Float64Array(P);
      for (const gs of perSample) for (let i = 0; i < P; i++) mean[i] += gs[i] / c.count;

      const gradient = Tensor.create(g, [P], { fill: NaN });
      const norms = Tensor.create(g, [L, c.count], { fill: NaN });
      const plan = await SampleNormsPlan.prepare(model, { data, gradient, norms, chunkSize: c.chunkSize });
      const encoder = g.device.createCommandEncoder();
      plan.encode(encoder);
      g.device.queue.submit([encoder.finish()]);
      expectClose(await norms.read(), wantNorms, { atol: 1e-6 * maxAbs(wantNorms), rtol: 1e-4 }, '‖g_{s,l}‖²');
      expectClose(await gradient.read(), mean, { atol: 1e-5 * maxAbs(mean), rtol: 1e-4 }, 'mean gradient');
      plan.destroy();
      for (const t of [gradient, norms]) t.destroy();

      if (c.count > 1) {
        // tr(Σ) as the sum of the per-coordinate unbiased variances, an algebra independent of the estimator's.
        const expected = (from: number, to: number) => {
          let trace = 0;
          let g2 = 0;
          for (let i = from; i < to; i++) {
            let v = 0;
            for (const gs of perSample) v += (gs[i] - mean[i]) ** 2;
            trace += v / (c.count - 1);
            g2 += mean[i] ** 2;
          }
          return { traceSigma: trace, gradNormSq: g2, bSimple: trace / g2 };
        };
        const got = await gradientNoiseScale(model, data, { chunkSize: c.chunkSize });
        const check = (have: { traceSigma: number; gradNormSq: number; bSimple: number }, want: typeof have, what: string) => {
          expectClose([have.gradNormSq], [want.gradNormSq], { atol: 0, rtol: 2e-4 }, `${what} ‖G‖²`);
          // tr(Σ) is a difference of two sums; its float32 error is relative to the larger, E‖g_s‖².
          expectClose([have.traceSigma], [want.traceSigma], { atol: 1e-5 * (want.traceSigma + want.gradNormSq), rtol: 1e-4 }, `${what} tr(Σ)`);
          expectClose([have.bSimple], [want.bSimple], { atol: 1e-5 * (1 + want.bSimple), rtol: 5e-4 }, `${what} B_simple`);
        };
        expect(got.samples).toBe(c.count);
        check(got, expected(0, P), 'total');
        expect(got.perLayer.length).toBe(L);
        got.perLayer.forEach((p, l) => check(p, expected(...(layerOf(l) as [number, number])), `layer ${l}`));
      }
      model.destroy();
      data.destroy();
    });
  }

  it('the bootstrap interval: the linearised statistic of float64 per-sample gradients on the same resamples', async () => {
    const g = gpu();
    const count = 33;
    const widths = [12, 9, 4];
    const { model, data, batch, ref, params } = await makeProblem(g, widths, 'tanh', count, seed);
    const P = paramLayout(widths).size;
    const perSample = Array.from({ length: count }, (_, s) =>
      refGradient(params, { x: batch.x.subarray(s * 12, (s + 1) * 12), labels: [batch.labels[s]], count: 1 }, ref));
    const mean = new Float64Array(P);
    for (const gs of perSample) for (let i = 0; i < P; i++) mean[i] += gs[i] / count;
    const g2 = dot(mean, mean);
    const q = perSample.map((gs) => dot(gs, gs));
    const p = perSample.map((gs) => dot(gs, mean));
    const opts = { resamples: 500, seed: 3 };
    const want = bootstrapInterval(count, (cases) => {
      let mq = 0;
      let mp = 0;
      for (let i = 0; i < count; i++) {
        mq += q[cases[i]];
        mp += p[cases[i]];
      }
      const r2 = (2 * mp) / count - g2;
      return r2 > 0 ? ((count / (count - 1)) * (mq / count - r2)) / r2 : NaN;
    }, opts);
    const got = await gradientNoiseScale(model, data, { chunkSize: 10, interval: opts });
    expect(got.interval).toBeDefined();
    expect(Number.isFinite(want.low) && Number.isFinite(want.high)).toBe(true);
    expectClose([got.interval!.low, got.interval!.high], [want.low, want.high], { atol: 1e-5 * want.high, rtol: 1e-3 }, 'interval');
    expect(got.interval!.low).toBeLessThanOrEqual(got.bSimple);
    expect(got.interval!.high).toBeGreaterThanOrEqual(got.bSimple);
    model.destroy();
    data.destroy();
  });

  it('refuses norms too small for L × count and a single sample, naming the sizes', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [7, 5, 3], 'relu', 9, seed);
    const gradient = Tensor.create(g, [model.layout.size]);
    const norms = Tensor.create(g, [17]);
    await expect(SampleNormsPlan.prepare(model, { data, gradient, norms })).rejects.toThrow(/2 layers × 9 samples need 18/);
    const one = await makeProblem(g, [7, 5, 3], 'relu', 1, seed);
    await expect(gradientNoiseScale(one.model, one.data)).rejects.toThrow(/at least 2 samples/);
    for (const t of [gradient, norms]) t.destroy();
    for (const x of [model, data, one.model, one.data]) x.destroy();
  });
});
