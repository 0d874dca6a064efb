/**
 * The float64 MLP reference, checked the way JAX checks its derivatives: the gradient against central
 * differences of the loss along random directions, the HVP against central differences of the
 * gradient, plus the identities an exact Hessian must satisfy (symmetry, regulariser = wd·I, a
 * spectrum whose top matches power iteration). Nets are tiny, with two hidden layers so the φ″ term
 * crosses a layer, and ReLU cases are checked to sit away from the kink.
 */
import { describe, expect, it } from 'vitest';
import {
  refForward, refForwardTrace, refGradient, refHessian, refHvp, symmetricEigenvalues,
  type Activation, type RefBatch, type RefOptions,
} from '../../src/autograd/reference';
import { paramLayout } from '../../src/autograd/layout';
import { Rng } from '../../src/util/rng';
import { expectClose, relDiff } from '../support/compare';

// Central-difference steps: truncation error ~ε², roundoff ~1e-16/ε. The gradient is smooth enough
// that the HVP check does best at the smaller step (max error ~5e-11 vs ~1e-9 at 1e-5).
const EPS_LOSS = 1e-5;
const EPS_GRAD = 1e-6;

interface Problem {
  params: Float64Array;
  batch: RefBatch;
  opts: RefOptions;
  rng: Rng;
}

/** Random θ (biases included, so their paths are exercised) and a random batch; rng continues for directions. */
function problem(activation: Activation, seed: number, extra: Partial<RefOptions> = {}): Problem {
  const opts: RefOptions = { widths: [4, 5, 3, 3], activation, ...extra };
  const rng = new Rng(seed);
  const params = randomVector(paramLayout(opts.widths).size, rng, 0.6);
  const count = 6;
  const x = randomVector(count * opts.widths[0], rng, 1);
  const labels = Uint32Array.from({ length: count }, () => rng.int(opts.widths[opts.widths.length - 1]));
  return { params, batch: { x, labels, count }, opts, rng };
}

function randomVector(n: number, rng: Rng, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => scale * rng.normal());
}

function axpy(a: number, x: Float64Array, y: Float64Array): Float64Array {
  return y.map((yi, i) => yi + a * x[i]);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Smallest |z| over hidden pre-activations: the central differences below move z by ≲ 1e-4. */
function kinkMargin(p: Problem): number {
  const { z } = refForwardTrace(p.params, p.batch, p.opts);
  return Math.min(...z.slice(0, -1).flatMap((zl) => Array.from(zl, Math.abs)));
}

const CASES: { name: string; activation: Activation; seed: number; extra?: Partial<RefOptions> }[] = [
  { name: 'relu', activation: 'relu', seed: 1 },
  { name: 'tanh', activation: 'tanh', seed: 2 },
  { name: 'gelu', activation: 'gelu', seed: 3 },
  { name: 'gelu + regulariser', activation: 'gelu', seed: 4, extra: { weightDecay: 0.03, includeRegulariser: true } },
];

describe.each(CASES)('derivatives: $name', ({ activation, seed, extra }) => {
  const p = problem(activation, seed, extra);
  const { params, batch, opts, rng } = p;
  const loss = (theta: Float64Array) => refForward(theta, batch, opts).loss;
  const grad = (theta: Float64Array) => refGradient(theta, batch, opts);

  if (activation === 'relu') {
    it('sits away from the relu kink', () => expect(kinkMargin(p)).toBeGreaterThan(1e-3));
  }

  it('gradient matches central differences of the loss along random directions', () => {
    const g = grad(params);
    for (let k = 0; k < 4; k++) {
      const v = randomVector(params.length, rng, 1);
      const fd = (loss(axpy(EPS_LOSS, v, params)) - loss(axpy(-EPS_LOSS, v, params))) / (2 * EPS_LOSS);
      expect(relDiff(dot(g, v), fd)).toBeLessThan(1e-6);
    }
  });

  it('HVP matches central differences of the gradient', () => {
    for (let k = 0; k < 3; k++) {
      const v = randomVector(params.length, rng, 1);
      const gp = grad(axpy(EPS_GRAD, v, params));
      const gm = grad(axpy(-EPS_GRAD, v, params));
      const fd = gp.map((gi, i) => (gi - gm[i]) / (2 * EPS_GRAD));
      expectClose(refHvp(params, batch, v, opts), fd, { atol: 1e-8, rtol: 1e-6 }, `${activation} Hv`);
    }
  });

  it('is symmetric: uᵀHv = vᵀHu', () => {
    const u = randomVector(params.length, rng, 1);
    const v = randomVector(params.length, rng, 1);
    expect(relDiff(dot(u, refHvp(params, batch, v, opts)), dot(v, refHvp(params, batch, u, opts)))).toBeLessThan(1e-10);
  });

  it('regulariser adds exactly wd·θ to the gradient and wd·v to the HVP', () => {
    const wd = 0.05;
    const off = { ...opts, weightDecay: wd, includeRegulariser: false };
    const on = { ...opts, weightDecay: wd, includeRegulariser: true };
    const v = randomVector(params.length, rng, 1);
    const tol = { atol: 1e-15, rtol: 1e-13 };
    expectClose(refHvp(params, batch, v, on), axpy(wd, v, refHvp(params, batch, v, off)), tol, 'Hv + wd·v');
    expectClose(refGradient(params, batch, on), axpy(wd, params, refGradient(params, batch, off)), tol, 'g + wd·θ');
    const sq = dot(params, params);
    expect(relDiff(refForward(params, batch, on).loss, refForward(params, batch, off).loss + 0.5 * wd * sq)).toBeLessThan(1e-14);
  });
});

describe.each<Activation>(['relu', 'tanh', 'gelu'])('dense Hessian: %s', (activation) => {
  const p = problem(activation, 10 + activation.length);
  const P = p.params.length;
  const H = refHessian(p.params, p.batch, p.opts);
  const eig = symmetricEigenvalues(H, P);

  if (activation === 'relu') {
    it('sits away from the relu kink', () => expect(kinkMargin(p)).toBeGreaterThan(1e-3));
  }

  it('is symmetric and consistent with refHvp', () => {
    const Ht = H.map((_, k) => H[(k % P) * P + Math.floor(k / P)]);
    expectClose(H, Ht, { atol: 1e-13, rtol: 1e-10 }, 'H vs Hᵀ');
    const v = randomVector(P, p.rng, 1);
    const Hv = Float64Array.from({ length: P }, (_, i) => dot(H.subarray(i * P, (i + 1) * P), v));
    expectClose(Hv, refHvp(p.params, p.batch, v, p.opts), { atol: 1e-13, rtol: 1e-10 }, 'H·v');
  });

  it('has sorted eigenvalues whose sum is the trace', () => {
    for (let i = 1; i < P; i++) expect(eig[i]).toBeLessThanOrEqual(eig[i - 1]);
    let trace = 0;
    for (let i = 0; i < P; i++) trace += H[i * P + i];
    expect(Math.abs(eig.reduce((a, b) => a + b, 0) - trace)).toBeLessThan(1e-10 * Math.max(1, Math.abs(eig[0])));
  });

  it('λmax equals the Rayleigh-quotient max from power iteration', () => {
    // Shifting by ‖H‖_F ≥ max|λ| makes every eigenvalue of H + sI non-negative, so power iteration
    // converges to the algebraically largest λ rather than the largest in magnitude.
    const shift = Math.sqrt(dot(H, H));
    let v = randomVector(P, p.rng, 1);
    let lambda = 0;
    for (let k = 0; k < 20000; k++) {
      const norm = Math.sqrt(dot(v, v));
      v = v.map((vi) => vi / norm);
      const w = Float64Array.from({ length: P }, (_, i) => dot(H.subarray(i * P, (i + 1) * P), v) + shift * v[i]);
      const next = dot(v, w) - shift;
      if (Math.abs(next - lambda) <= 1e-15 * shift) break;
      lambda = next;
      v = w;
    }
    expect(relDiff(lambda, eig[0])).toBeLessThan(1e-8);
  });
});

describe('symmetricEigenvalues', () => {
  it('symmetrises, then sorts descending', () => {
    expect(Array.from(symmetricEigenvalues([2, 1, 1, 2], 2))).toEqual([expect.closeTo(3, 12), expect.closeTo(1, 12)]);
    expect(Array.from(symmetricEigenvalues([2, 2, 0, 2], 2))).toEqual([expect.closeTo(3, 12), expect.closeTo(1, 12)]);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => symmetricEigenvalues([1, 2, 3], 2)).toThrow(/n×n/);
  });
});

describe('refForward', () => {
  it('gives ln C and breaks argmax ties toward the lowest index when θ = 0', () => {
    const opts: RefOptions = { widths: [2, 4, 3], activation: 'tanh' };
    const labels = [0, 2, 0, 1];
    const out = refForward(new Float64Array(paramLayout(opts.widths).size), { x: new Float64Array(8).fill(0.5), labels, count: 4 }, opts);
    expect(out.loss).toBeCloseTo(Math.log(3), 14);
    expect(out.correct).toBe(2);
    expect(Array.from(out.logits)).toEqual(new Array(12).fill(0));
  });

  it('computes logits = x Wᵀ + b for a single layer and the mean per-row cross-entropy', () => {
    const opts: RefOptions = { widths: [2, 2], activation: 'relu' };
    const params = Float64Array.of(1, 2, -1, 0.5, 0.25, -0.5); // W = [[1, 2], [−1, 0.5]], b = [0.25, −0.5]
    const x = Float64Array.of(1, 1, -2, 1);
    const out = refForward(params, { x, labels: [0, 0], count: 2 }, opts);
    expectClose(out.logits, [3.25, -1, 0.25, 2], { atol: 1e-15, rtol: 0 }, 'logits');
    const ce = (z: number[], y: number) => Math.log(z.reduce((s, zi) => s + Math.exp(zi), 0)) - z[y];
    expectClose(out.perRowLoss, [ce([3.25, -1], 0), ce([0.25, 2], 0)], { atol: 0, rtol: 1e-14 }, 'per-row loss');
    expect(out.loss).toBeCloseTo((out.perRowLoss[0] + out.perRowLoss[1]) / 2, 15);
    expect(out.correct).toBe(1);
  });

  it('stays finite for huge logits and accepts float32 inputs', () => {
    const opts: RefOptions = { widths: [1, 2], activation: 'gelu' };
    const params = Float64Array.of(1000, -1000, 0, 0);
    const out = refForward(params, { x: Float32Array.of(2), labels: [1], count: 1 }, opts);
    expect(out.loss).toBeCloseTo(4000, 9);
    expect(refForward(params, { x: Float64Array.of(2), labels: [1], count: 1 }, opts).loss).toBe(out.loss);
  });

  it('rejects inconsistent inputs with clear messages', () => {
    const opts: RefOptions = { widths: [3, 2], activation: 'relu' };
    const params = new Float64Array(8);
    const batch: RefBatch = { x: new Float64Array(6), labels: [0, 1], count: 2 };
    expect(() => refForward(new Float64Array(7), batch, opts)).toThrow(/params has 7 elements but widths \[3, 2\] need 8/);
    expect(() => refForward(params, { ...batch, x: new Float64Array(5) }, opts)).toThrow(/x has 5 elements/);
    expect(() => refForward(params, { ...batch, labels: [0, 2] }, opts)).toThrow(/label 2 at row 1/);
    expect(() => refForward(params, { ...batch, labels: [0.5, 1] }, opts)).toThrow(/label 0.5 at row 0/);
    expect(() => refForward(params, { ...batch, labels: [0] }, opts)).toThrow(/labels has 1 entries/);
    expect(() => refForward(params, { ...batch, count: 0 }, opts)).toThrow(/positive integer/);
    expect(() => refForward(params, batch, { ...opts, activation: 'sigmoid' as never })).toThrow(/unknown activation/);
    expect(() => refGradient(params, batch, { ...opts, weightDecay: NaN })).toThrow(/weightDecay/);
    expect(() => refHvp(params, batch, new Float64Array(3), opts)).toThrow(/direction has 3 elements/);
    expect(() => refHessian(params, batch, { ...opts, widths: [100, 50] })).toThrow(/tiny nets/);
  });
});
