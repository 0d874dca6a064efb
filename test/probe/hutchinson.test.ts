/**
 * Hutchinson's trace estimator on the real adapter: every per-sample zᵀHz against float64 for the
 * same Rademacher vectors, the estimate against the exact trace of a tiny MLP's dense Hessian, and
 * early stopping on a tolerance.
 */
import { describe, expect, it } from 'vitest';
import { blockHutchinsonTrace } from '../../src/probe/hutchinson';
import { hutchinsonTrace } from '../support/hutchinson';
import { hessianBlockOperator } from '../../src/probe/block-operator';
import { hessianOperator } from '../support/operator';
import { randomVector } from '../../src/probe/vector-ops';
import { refHessian } from '../../src/autograd/reference';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem } from '../support/nets';
import { freshSeed } from '../support/random';
import { knownSpectrum, spread } from './spectra';

const gpu = useGpu();
const seed = freshSeed();

/** zᵀHz in float64 for a dense row-major P×P matrix. */
function quadratic(h: ArrayLike<number>, z: ArrayLike<number>): number {
  const P = z.length;
  let s = 0;
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) s += z[i] * h[i * P + j] * z[j];
  return s;
}

describe(`Hutchinson trace (seed ${seed})`, () => {
  it('each estimate is zᵀHz for the seeded Rademacher z; trace and standard error follow from them', async () => {
    const op = await knownSpectrum(gpu(), spread(80, -1, 3), seed);
    const r = await hutchinsonTrace(op, { samples: 12, seed: seed + 1 });
    const rng = new Rng(seed + 1);
    const want = r.estimates.map(() => quadratic(op.dense, randomVector(rng, op.size, 'rademacher')));
    expectClose(r.estimates, want, { atol: 1e-5 * op.size, rtol: 1e-5 }, 'zᵀHz');
    const n = r.estimates.length;
    const mean = r.estimates.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(r.estimates.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    expect(r).toMatchObject({ samples: 12, hvps: 12 });
    expect(r.trace).toBeCloseTo(mean, 10);
    expect(r.standardError).toBeCloseTo(sd / Math.sqrt(n), 10);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    op.destroy();
  });

  it('tiny MLP: within 3 standard errors of the exact trace, with the error the theory predicts', async () => {
    // Fixed seeds: a 3-SE test fails for ~0.5% of draws by design, which a fresh seed per run would turn into flakes.
    const { model, data, batch, ref, params } = await makeProblem(gpu(), [6, 12, 8, 3], 'tanh', 30, 7);
    const P = model.layout.size;
    const H = refHessian(params, batch, ref);
    let trace = 0;
    let offDiagonalSq = 0;
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) if (i === j) trace += H[i * P + i]; else offDiagonalSq += H[i * P + j] ** 2;
    }
    const op = await hessianOperator(model, data);
    const samples = 30;
    const r = await hutchinsonTrace(op, { samples, seed: 3 });
    expect(Math.abs(r.trace - trace), `estimate ${r.trace} ± ${r.standardError} vs exact ${trace}`)
      .toBeLessThan(3 * r.standardError);
    // Var(zᵀHz) = 2·Σ_{i≠j} H_ij² for Rademacher z; a 30-sample SE lands within ±40% of its expectation.
    const predicted = Math.sqrt((2 * offDiagonalSq) / samples);
    expect(r.standardError / predicted).toBeGreaterThan(0.6);
    expect(r.standardError / predicted).toBeLessThan(1.4);
    op.destroy();
    model.destroy();
    data.destroy();
  });

  it('with tol, stops once the standard error is small enough (but not before 10 samples)', async () => {
    const op = await knownSpectrum(gpu(), spread(60, 0.5, 2), seed + 2);
    const loose = await hutchinsonTrace(op, { samples: 40, seed, tol: 0.5 });
    expect(loose.samples).toBe(10);
    expect(loose.estimates).toHaveLength(10);
    const strict = await hutchinsonTrace(op, { samples: 15, seed, tol: 1e-9 });
    expect(strict.samples).toBe(15);
    expect(strict.standardError).toBeGreaterThan(1e-9 * strict.trace);
    expect(strict.estimates.slice(0, 10)).toEqual(loose.estimates);
    op.destroy();
  });

  it('k probes per block pass: the same probes and zᵀHz as the single path, and the float64 quadratic forms', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [9, 7, 5], 'tanh', 33, seed + 7);
    const H = refHessian(params, batch, ref);
    const single = await hessianOperator(model, data);
    const block = await hessianBlockOperator(model, data, 4, { chunkSize: 10 });
    // 10 samples in blocks of 4: the last pass carries two zero rows that must not count.
    const a = await hutchinsonTrace(single, { samples: 10, seed });
    const b = await blockHutchinsonTrace(block, { samples: 10, seed });
    expect(b.samples).toBe(10);
    expect(b.hvps).toBe(12);
    const rng = new Rng(seed);
    const want = Array.from({ length: 10 }, () => quadratic(H, randomVector(rng, model.layout.size, 'rademacher')));
    const scale = Math.max(...want.map(Math.abs));
    expectClose(b.estimates, a.estimates, { atol: 1e-5 * scale, rtol: 1e-4 }, 'block vs single zᵀHz');
    expectClose(b.estimates, want, { atol: 1e-5 * scale, rtol: 1e-4 }, 'block zᵀHz vs float64');
    single.destroy();
    block.destroy();
    model.destroy();
    data.destroy();
  });
});
