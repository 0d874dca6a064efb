import { describe, expect, it } from 'vitest';
import { prepareSoftmaxCe } from '../../src/gpu/ops/softmax-ce';
import { prepareGather } from '../../src/gpu/ops/gather';
import { Tensor } from '../../src/gpu/tensor';
import { refSoftmaxCe } from '../../src/gpu/reference';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
const TOL = { atol: 1e-6, rtol: 1e-5 };

describe(`softmax cross-entropy (seed ${seed})`, () => {
  for (const [rows, classes] of [[1, 1], [7, 10], [33, 7], [257, 33], [1000, 257]]) {
    it(`${rows} rows × ${classes} classes: loss, hits, δ and δ̇`, async () => {
      const g = gpu();
      const ld = classes + 1;
      const z = randomNormal(2 + rows * ld, seed + rows, 4);
      const zd = randomNormal(2 + rows * ld, seed + rows + 1);
      const rng = new Rng(seed + classes);
      const labels = Uint32Array.from({ length: rows }, () => rng.int(classes));
      // Dense copies of the strided logits for the reference.
      const zr = new Float64Array(rows * classes);
      const zdr = new Float64Array(rows * classes);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < classes; c++) {
          zr[r * classes + c] = z[2 + r * ld + c];
          zdr[r * classes + c] = zd[2 + r * ld + c];
        }
      }
      const Z = Tensor.create(g, [z.length], { data: z });
      const Zd = Tensor.create(g, [zd.length], { data: zd });
      const L = Tensor.create(g, [rows], { dtype: 'u32', data: labels });
      const stats = Tensor.create(g, [2 * rows], { fill: NaN });
      const delta = Tensor.create(g, [rows * classes], { fill: NaN });
      const deltaDot = Tensor.create(g, [rows * classes], { fill: NaN });
      const scale = 1 / rows;
      g.run([await prepareSoftmaxCe(g, {
        rows, classes, logits: Z, logitsOffset: 2, ld, logitsDot: Zd, labels: L, stats, delta, deltaDot, scale,
      })]);
      const ref = refSoftmaxCe(zr, zdr, labels, rows, classes, scale);
      const got = await stats.read();
      expectClose(got.subarray(0, rows), ref.loss, { atol: 1e-5, rtol: 1e-5 }, 'per-row loss');
      expectClose(got.subarray(rows), ref.correct, { atol: 0, rtol: 0 }, 'hits');
      expectClose(await delta.read(), ref.delta, { atol: 1e-6 * scale, rtol: 1e-5 }, 'δ');
      // δ̇ subtracts ⟨p, ż⟩, a sum over the classes: its rounding is relative to scale·|ż|, not to the entry.
      expectClose(await deltaDot.read(), ref.deltaDot, { atol: 1e-5 * scale, rtol: 1e-4 }, 'δ̇');
      for (const t of [Z, Zd, L, stats, delta, deltaDot]) t.destroy();
    });
  }

  it('stays finite for huge logits', async () => {
    const g = gpu();
    const z = [1e4, -1e4, 3e3, 9e3];
    const Z = Tensor.create(g, [4], { data: z });
    const L = Tensor.create(g, [2], { dtype: 'u32', data: [1, 0] });
    const stats = Tensor.create(g, [4], { fill: NaN });
    g.run([await prepareSoftmaxCe(g, { rows: 2, classes: 2, logits: Z, labels: L, stats })]);
    const ref = refSoftmaxCe(z, [0, 0, 0, 0], [1, 0], 2, 2, 1);
    expectClose(await stats.read(), [...ref.loss, ...ref.correct], TOL, 'extreme logits');
  });
});

describe(`gather (seed ${seed})`, () => {
  for (const packed of [true, false]) {
    it(`${packed ? 'byte' : 'f32'} pixels, shuffled order, 7 features, offsets`, async () => {
      const g = gpu();
      const [samples, features, rows, start] = [33, 7, 13, 5];
      const rng = new Rng(seed);
      const bytes = Uint8Array.from({ length: samples * features + 3 }, () => rng.int(256));
      const labels = Uint32Array.from({ length: samples }, () => rng.int(10));
      const order = rng.permutation(samples);
      const words = packed
        ? new Uint32Array(bytes.buffer, 0, Math.ceil((samples * features) / 4))
        : new Uint32Array(Float32Array.from(bytes.subarray(0, samples * features)).buffer);
      const P = Tensor.create(g, [words.length], { dtype: 'u32', data: words });
      const Ly = Tensor.create(g, [samples], { dtype: 'u32', data: labels });
      const O = Tensor.create(g, [samples], { dtype: 'u32', data: order });
      const X = Tensor.create(g, [rows * features], { fill: NaN });
      const Y = Tensor.create(g, [rows], { dtype: 'u32', fill: 0xffffffff });
      g.run([await prepareGather(g, {
        rows, features, samples, packed, pixels: P, labels: Ly, order: O, start, x: X, y: Y, scale: 1 / 255, shift: -0.5,
      })]);
      const want = new Float64Array(rows * features);
      for (let r = 0; r < rows; r++) {
        for (let f = 0; f < features; f++) want[r * features + f] = bytes[order[start + r] * features + f] / 255 - 0.5;
      }
      expectClose(await X.read(), want, TOL, 'gathered pixels');
      expect([...(await Y.read())]).toEqual([...order.subarray(start, start + rows)].map((s) => labels[s]));
    });
  }
});
