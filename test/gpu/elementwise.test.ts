import { describe, it } from 'vitest';
import { prepareActivate, prepareAxpby } from '../../src/gpu/ops/elementwise';
import type { ActivationName } from '../../src/gpu/ops/matmul';
import { Tensor } from '../../src/gpu/tensor';
import { refActivate } from '../../src/gpu/reference';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const SIZES = [1, 7, 33, 257, 70_001];
const seed = freshSeed();
const TOL = { atol: 1e-6, rtol: 1e-5 };

describe(`elementwise (seed ${seed})`, () => {
  for (const act of ['identity', 'relu', 'tanh', 'gelu'] as ActivationName[]) {
    for (const order of [0, 1, 2] as const) {
      it(`${act} order ${order} at sizes ${SIZES.join(', ')}`, async () => {
        const g = gpu();
        for (const n of SIZES) {
          const x = randomNormal(n + 3, seed + n, 3);
          const X = Tensor.create(g, [n + 3], { data: x });
          const Y = Tensor.create(g, [n + 5], { fill: NaN });
          g.run([await prepareActivate(g, n, act, order, { buffer: X, offset: 3 }, { buffer: Y, offset: 5 })]);
          expectClose(await Y.read(5), refActivate(act, x.subarray(3), order), TOL, `${act}^(${order}) n=${n}`);
          X.destroy();
          Y.destroy();
        }
      });
    }
  }

  it('axpby with constant, scalar and 1/sqrt(scalar) coefficients', async () => {
    const g = gpu();
    for (const n of SIZES) {
      const x = randomNormal(n, seed + 1 + n);
      const y = randomNormal(n, seed + 2 + n);
      const X = Tensor.create(g, [n], { data: x });
      const Y = Tensor.create(g, [n], { data: y });
      const S = Tensor.create(g, [4], { data: [0, 2.5, 9, 0] });
      g.run([await prepareAxpby(g, n, 0.5, { buffer: X }, -2, { buffer: Y }, { kind: 'scalar', scalars: S, slot: 1 })]);
      const y1 = y.map((v, i) => 0.5 * 2.5 * x[i] - 2 * v);
      expectClose(await Y.read(), y1, TOL, `axpby scalar n=${n}`);
      g.run([await prepareAxpby(g, n, 3, { buffer: X }, 1, { buffer: Y }, { kind: 'rsqrt', scalars: S, slot: 2 })]);
      const y2 = y1.map((v, i) => x[i] + v);
      expectClose(await Y.read(), y2, TOL, `axpby rsqrt n=${n}`);
      // beta = 0 must overwrite a NaN-poisoned output.
      const Z = Tensor.create(g, [n], { fill: NaN });
      g.run([await prepareAxpby(g, n, -1, { buffer: X }, 0, { buffer: Z })]);
      expectClose(await Z.read(), x.map((v) => -v), TOL, `scale n=${n}`);
      for (const t of [X, Y, S, Z]) t.destroy();
    }
  });
});
