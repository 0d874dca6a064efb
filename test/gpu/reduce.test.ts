import { describe, it } from 'vitest';
import { prepareColumnSum, prepareReduce, type ReduceKind } from '../../src/gpu/ops/reduce';
import { Tensor } from '../../src/gpu/tensor';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();

function refReduce(kind: ReduceKind, x: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += kind === 'sum' ? x[i] : kind === 'dot' ? x[i] * y[i] : x[i] * x[i];
  return s;
}

describe(`reductions (seed ${seed})`, () => {
  for (const kind of ['sum', 'dot', 'sqnorm'] as ReduceKind[]) {
    it(`${kind} over 1, 7, 33, 257, 1025 and 300,007 elements, overwrite and accumulate`, async () => {
      const g = gpu();
      for (const n of [1, 7, 33, 257, 1025, 300_007]) {
        const x = randomNormal(n + 2, seed + n);
        const y = randomNormal(n + 1, seed + n + 1);
        const X = Tensor.create(g, [n + 2], { data: x });
        const Y = Tensor.create(g, [n + 1], { data: y });
        const out = Tensor.create(g, [4], { fill: NaN });
        const want = refReduce(kind, x.subarray(2), y.subarray(1));
        // Rounding in a sum of n terms of size ~1 grows like √n·ε.
        const tol = { atol: 1e-6 * Math.sqrt(n), rtol: 1e-5 };
        const common = { kind, n, x: { buffer: X, offset: 2 }, y: { buffer: Y, offset: 1 }, out, slot: 3 };
        g.run(await prepareReduce(g, { ...common, scale: 0.5 }));
        expectClose((await out.read(3, 1)), [0.5 * want], tol, `${kind} n=${n}`);
        g.run(await prepareReduce(g, { ...common, accumulate: true }));
        expectClose((await out.read(3, 1)), [1.5 * want], tol, `${kind} accumulated n=${n}`);
        for (const t of [X, Y, out]) t.destroy();
      }
    });
  }

  it('column sums with tangent, offsets, row stride and accumulate', async () => {
    const g = gpu();
    for (const [rows, cols] of [[1, 1], [7, 33], [257, 7], [33, 257], [1000, 130]]) {
      const ld = cols + 2;
      const a = randomNormal(3 + rows * ld, seed + rows);
      const ad = randomNormal(3 + rows * ld, seed + rows + 1);
      const A = Tensor.create(g, [a.length], { data: a });
      const Ad = Tensor.create(g, [ad.length], { data: ad });
      const out = Tensor.create(g, [cols + 4], { fill: NaN });
      const outDot = Tensor.create(g, [cols + 4], { fill: NaN });
      const want = new Float64Array(cols);
      const wantDot = new Float64Array(cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          want[j] += 0.25 * a[3 + i * ld + j];
          wantDot[j] += 0.25 * ad[3 + i * ld + j];
        }
      }
      const tol = { atol: 1e-6 * Math.sqrt(rows), rtol: 1e-5 };
      const opts = { rows, cols, a: A, aDot: Ad, aOffset: 3, ld, out, outDot, outOffset: 4, scale: 0.25 };
      g.run([await prepareColumnSum(g, opts)]);
      expectClose(await out.read(4), want, tol, `col_sum ${rows}×${cols}`);
      expectClose(await outDot.read(4), wantDot, tol, `col_sum tangent ${rows}×${cols}`);
      g.run([await prepareColumnSum(g, { ...opts, accumulate: true })]);
      expectClose(await out.read(4), want.map((v) => 2 * v), tol, `col_sum accumulated ${rows}×${cols}`);
      for (const t of [A, Ad, out, outDot]) t.destroy();
    }
  });
});
