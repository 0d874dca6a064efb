import { describe, expect, it } from 'vitest';
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

  it('axpby with a vector coefficient (elementwise product), offsets and a NaN-poisoned output', async () => {
    const g = gpu();
    for (const n of SIZES) {
      const x = randomNormal(n + 2, seed + 3 + n);
      const s = randomNormal(n + 5, seed + 4 + n);
      const y = randomNormal(n, seed + 5 + n);
      const X = Tensor.create(g, [n + 2], { data: x });
      const S = Tensor.create(g, [n + 5], { data: s });
      const Y = Tensor.create(g, [n + 1], { fill: NaN });
      const vector = { kind: 'vector', scalars: S, slot: 5 } as const;
      g.run([await prepareAxpby(g, n, 0.75, { buffer: X, offset: 2 }, 0, { buffer: Y, offset: 1 }, vector)]);
      const y1 = Float64Array.from({ length: n }, (_, i) => 0.75 * s[5 + i] * x[2 + i]);
      expectClose(await Y.read(1), y1, TOL, `axpby vector n=${n}`);
      Y.write(Float32Array.from([NaN, ...y]));
      g.run([await prepareAxpby(g, n, -2, { buffer: X, offset: 2 }, 0.5, { buffer: Y, offset: 1 }, vector)]);
      expectClose(await Y.read(1), y.map((v, i) => -2 * s[5 + i] * x[2 + i] + 0.5 * v), TOL, `axpby vector, accumulating n=${n}`);
      await expect(prepareAxpby(g, n, 1, { buffer: X }, 0, { buffer: Y }, { kind: 'vector', scalars: S, slot: 6 }))
        .rejects.toThrow(/coefficient vector .*needs elements \[6, /);
      for (const t of [X, S, Y]) t.destroy();
    }
  });
});
