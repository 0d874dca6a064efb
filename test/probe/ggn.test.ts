/**
 * The Gauss–Newton block operator: G·v against the float64 dense G = Jᵀ·H_out·J formed from explicit
 * Jacobians (refGgn), G = H exactly for a model without hidden layers, and the block solvers run on
 * it unchanged — λmax against the dense G's eigenvalues, the deflated trace's interval around its trace.
 */
import { describe, expect, it } from 'vitest';
import { ggnBlockOperator, hessianBlockOperator, type BlockOperator } from '../../src/probe/block-operator';
import { blockEigen } from '../../src/probe/block-eigen';
import { deflatedTrace } from '../../src/probe/deflated-trace';
import { refGgn, refHessian, symmetricEigenvalues, type Activation, type RefOptions } from '../../src/autograd/reference';
import { expectClose, relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';
import { dot, makeProblem, maxAbs } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

/** Row j of A·V for a dense row-major P × P matrix A and the k rows of V. */
function denseProducts(A: Float64Array, V: Float32Array, k: number, P: number): Float64Array {
  const out = new Float64Array(k * P);
  for (let j = 0; j < k; j++) {
    for (let a = 0; a < P; a++) {
      let s = 0;
      for (let b = 0; b < P; b++) s += A[a * P + b] * V[j * P + b];
      out[j * P + a] = s;
    }
  }
  return out;
}

/** The operator applied to V (k × P) once, its output NaN-poisoned first. */
async function apply(op: BlockOperator, V: Float32Array): Promise<Float32Array> {
  op.input.write(V);
  op.output.write(new Float32Array(op.k * op.size).fill(NaN));
  const encoder = op.gpu.device.createCommandEncoder();
  op.encode(encoder);
  op.gpu.device.queue.submit([encoder.finish()]);
  return (await op.output.read()) as Float32Array;
}

const CASES: { widths: number[]; act: Activation; count: number; k: number; chunkSize?: number; wd?: number }[] = [
  { widths: [33, 7, 9, 10], act: 'relu', count: 57, k: 3, chunkSize: 13 },
  { widths: [7, 1, 33, 5], act: 'tanh', count: 41, k: 1 },
  { widths: [12, 33, 7, 3], act: 'gelu', count: 30, k: 16, chunkSize: 16 },
  { widths: [9, 7, 4], act: 'tanh', count: 23, k: 2, chunkSize: 5, wd: 0.03 },
];

describe(`Gauss–Newton block operator (seed ${seed})`, () => {
  for (const c of CASES) {
    const name = `${c.act} ${c.widths.join('-')}, k = ${c.k}, ${c.count} samples${c.chunkSize ? ` in chunks of ${c.chunkSize}` : ''}${c.wd ? ', with wd·v' : ''}`;
    it(`G·v matches the float64 dense Jᵀ·H_out·J: ${name}`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, c.widths, c.act, c.count, seed);
      const P = model.layout.size;
      const opts: RefOptions = { ...ref, weightDecay: c.wd, includeRegulariser: c.wd !== undefined };
      const G = refGgn(params, batch, opts);
      const V = randomNormal(c.k * P, seed + 3);
      const op = await ggnBlockOperator(model, data, c.k, { chunkSize: c.chunkSize, weightDecay: c.wd, includeRegulariser: c.wd !== undefined });
      const got = await apply(op, V);
      const want = denseProducts(G, V, c.k, P);
      for (let j = 0; j < c.k; j++) {
        const row = want.subarray(j * P, (j + 1) * P);
        expectClose(got.subarray(j * P, (j + 1) * P), row, { atol: 1e-5 * maxAbs(row), rtol: 1e-4 }, `row ${j}`);
      }
      // Symmetric: u·(Gv) = v·(Gu) for two directions through the GPU products.
      if (c.k >= 2) {
        const [u, v, Gu, Gv] = [V.subarray(0, P), V.subarray(P, 2 * P), got.subarray(0, P), got.subarray(P, 2 * P)];
        expect(relDiff(dot(u, Gv), dot(v, Gu))).toBeLessThan(1e-4);
      }
      op.destroy();
      model.destroy();
      data.destroy();
    });
  }

  it('equals the Hessian, bit for bit, for a model without hidden layers (no φ″ or gradient terms to drop)', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [9, 7], 'relu', 31, seed + 1);
    const P = model.layout.size;
    const k = 4;
    const V = randomNormal(k * P, seed + 4);
    const ggn = await ggnBlockOperator(model, data, k, { chunkSize: 8 });
    const hess = await hessianBlockOperator(model, data, k, { chunkSize: 8 });
    const gv = await apply(ggn, V);
    const hv = await apply(hess, V);
    expect(gv).toEqual(hv);
    const want = denseProducts(refHessian(params, batch, ref), V, k, P);
    expectClose(gv, want, { atol: 1e-5 * maxAbs(want), rtol: 1e-4 }, 'G·v vs the float64 Hessian');
    // And the dense references agree with each other there.
    const G = refGgn(params, batch, ref);
    const H = refHessian(params, batch, ref);
    expectClose(G, H, { atol: 1e-12 * maxAbs(H), rtol: 1e-9 }, 'refGgn vs refHessian');
    for (const op of [ggn, hess]) op.destroy();
    model.destroy();
    data.destroy();
  });

  for (const act of ['relu', 'tanh'] as const) {
    it(`${act}: the block solvers on G — λmax and top-3 vs the dense G's eigenvalues, trace within its interval`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, [6, 12, 8, 3], act, 30, seed + 5);
      const P = model.layout.size;
      const exact = symmetricEigenvalues(refGgn(params, batch, ref), P);
      // Positive semi-definite (to float64 rounding), unlike the Hessian of the same net.
      expect(exact[P - 1]).toBeGreaterThan(-1e-12 * exact[0]);
      const op = await ggnBlockOperator(model, data, 16, { chunkSize: 11 });
      const r = await blockEigen(op, { want: 3, tol: 1e-5, maxIter: 300, seed, vectors: true });
      const [group] = r.groups;
      expect(group.converged[0], `λmax ${group.values[0]} vs ${exact[0]}`).toBe(true);
      expect(relDiff(group.values[0], exact[0]), `λmax ${group.values[0]} vs ${exact[0]}`).toBeLessThan(1e-4);
      for (let i = 0; i < 3; i++) {
        expect(Math.abs(group.values[i] - exact[i]), `θ${i} ${group.values[i]} vs ${exact[i]}`).toBeLessThan(1e-4 * exact[0] + group.residuals[i]);
      }
      // Every Ritz value of the subspace is non-negative up to float32 rounding.
      expect(Math.min(...group.ritzValues)).toBeGreaterThan(-1e-5 * exact[0]);
      const vectors = (await r.vectors!.read(0, 3 * P)) as Float32Array;
      r.vectors!.destroy();
      const Q = [0, 1, 2].map((i) => vectors.subarray(i * P, (i + 1) * P));
      const t = await deflatedTrace(op, Q, { target: 0.02, minSamples: 16, maxSamples: 64, seed: seed + 6 });
      const trace = exact.reduce((x, y) => x + y, 0);
      // The interval holds the exact trace (widened ×2: one seeded draw of a 95 % interval).
      expect(Math.abs(t.trace - trace), `${t.trace} [${t.low}, ${t.high}] vs ${trace}`).toBeLessThanOrEqual(t.high - t.low);
      op.destroy();
      model.destroy();
      data.destroy();
    });
  }
});
