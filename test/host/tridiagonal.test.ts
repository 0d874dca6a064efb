/**
 * The tridiagonal eigensolver against ml-matrix's dense symmetric EVD, plus the
 * properties that hold regardless of reference: V orthonormal and T·v = λ·v.
 * Cases target what Lanczos produces in practice: splits (beta = 0 after breakdown),
 * repeated and near-repeated eigenvalues, negative curvature, extreme scales.
 */
import { describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { tridiagonalEigen } from '../../src/probe/tridiagonal';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../support/compare';

function dense(alpha: ArrayLike<number>, beta: ArrayLike<number>): Matrix {
  const m = alpha.length;
  const t = Matrix.zeros(m, m);
  for (let i = 0; i < m; i++) t.set(i, i, alpha[i]);
  for (let i = 0; i < m - 1; i++) {
    t.set(i, i + 1, beta[i]);
    t.set(i + 1, i, beta[i]);
  }
  return t;
}

function reference(alpha: ArrayLike<number>, beta: ArrayLike<number>) {
  const evd = new EigenvalueDecomposition(dense(alpha, beta), { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((_, j) => j).sort((a, b) => evd.realEigenvalues[b] - evd.realEigenvalues[a]);
  return {
    values: order.map((j) => evd.realEigenvalues[j]),
    firstSquared: order.map((j) => evd.eigenvectorMatrix.get(0, j) ** 2),
  };
}

function normOf(alpha: ArrayLike<number>, beta: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < alpha.length; i++) n = Math.max(n, Math.abs(alpha[i]) + 2 * Math.abs(beta[i] ?? 0) + Math.abs(beta[i - 1] ?? 0));
  return n || 1;
}

/** VᵀV = I and ‖T·v_j − λ_j·v_j‖∞ small for every column, at the scale of ‖T‖. */
function checkEigenpairs(alpha: ArrayLike<number>, beta: ArrayLike<number>): void {
  const m = alpha.length;
  const { values, vectors } = tridiagonalEigen(alpha, beta);
  const norm = normOf(alpha, beta);
  const gram: number[] = [];
  const identity: number[] = [];
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += vectors[i * m + a] * vectors[i * m + b];
      gram.push(dot);
      identity.push(a === b ? 1 : 0);
    }
  }
  expectClose(gram, identity, { atol: 1e-13 * Math.max(m, 10), rtol: 0 }, `VᵀV (m=${m})`);

  const residual: number[] = [];
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) {
      let tv = alpha[i] * vectors[i * m + j];
      if (i > 0) tv += beta[i - 1] * vectors[(i - 1) * m + j];
      if (i < m - 1) tv += beta[i] * vectors[(i + 1) * m + j];
      residual.push(tv - values[j] * vectors[i * m + j]);
    }
  }
  expectClose(residual, new Array(m * m).fill(0), { atol: 1e-13 * Math.max(m, 10) * norm, rtol: 0 }, `T·v − λ·v (m=${m})`);
  for (let j = 1; j < m; j++) expect(values[j]).toBeLessThanOrEqual(values[j - 1]);
}

function checkAgainstReference(alpha: ArrayLike<number>, beta: ArrayLike<number>, compareVectors = true): void {
  const m = alpha.length;
  const ours = tridiagonalEigen(alpha, beta);
  const ref = reference(alpha, beta);
  const norm = normOf(alpha, beta);
  expectClose(ours.values, ref.values, { atol: 1e-13 * norm, rtol: 1e-10 }, `eigenvalues (m=${m})`);
  if (compareVectors) {
    // Squared first components are sign-free, and are exactly what SLQ consumes.
    const first = Array.from({ length: m }, (_, j) => ours.vectors[j] ** 2);
    expectClose(first, ref.firstSquared, { atol: 1e-9, rtol: 0 }, `squared first components (m=${m})`);
  }
  checkEigenpairs(alpha, beta);
}

function randomTridiagonal(m: number, seed: number): { alpha: Float64Array; beta: Float64Array } {
  const rng = new Rng(seed);
  const alpha = Float64Array.from({ length: m }, () => rng.normal());
  const beta = Float64Array.from({ length: Math.max(m - 1, 0) }, () => rng.normal());
  return { alpha, beta };
}

describe('tridiagonalEigen', () => {
  for (const m of [1, 2, 7, 33, 100, 200]) {
    it(`matches ml-matrix on a random ${m}×${m} tridiagonal`, () => {
      const { alpha, beta } = randomTridiagonal(m, 1000 + m);
      checkAgainstReference(alpha, beta);
    });
  }

  it('matches ml-matrix on a Lanczos-like positive tridiagonal (beta > 0, clustered top)', () => {
    const rng = new Rng(7);
    const m = 60;
    const alpha = Float64Array.from({ length: m }, (_, i) => 50 / (1 + i) + rng.uniform());
    const beta = Float64Array.from({ length: m - 1 }, () => 0.1 + rng.uniform());
    checkAgainstReference(alpha, beta);
  });

  it('handles an empty matrix', () => {
    const { values, vectors } = tridiagonalEigen(new Float64Array(0), new Float64Array(0));
    expect(values.length).toBe(0);
    expect(vectors.length).toBe(0);
  });

  it('splits at zero off-diagonals', () => {
    const { alpha, beta } = randomTridiagonal(40, 3);
    for (const i of [0, 5, 6, 20, 38]) beta[i] = 0;
    checkAgainstReference(alpha, beta);
  });

  it('splits at an off-diagonal far below rounding level', () => {
    const { alpha, beta } = randomTridiagonal(25, 4);
    beta[12] = 1e-300;
    checkAgainstReference(alpha, beta);
  });

  it('returns the sorted diagonal and a permutation matrix for a diagonal matrix', () => {
    const alpha = Float64Array.of(2, -3, 0, 5, -3, 2);
    const { values, vectors } = tridiagonalEigen(alpha, new Float64Array(5));
    expect(Array.from(values)).toEqual([5, 2, 2, 0, -3, -3]);
    for (let j = 0; j < 6; j++) {
      let nonzero = 0;
      for (let i = 0; i < 6; i++) {
        if (vectors[i * 6 + j] !== 0) {
          nonzero++;
          expect(Math.abs(vectors[i * 6 + j])).toBe(1);
          expect(alpha[i]).toBe(values[j]);
        }
      }
      expect(nonzero).toBe(1);
    }
  });

  it('resolves exactly repeated eigenvalues from identical decoupled blocks', () => {
    const block = randomTridiagonal(5, 11);
    const alpha = Float64Array.from([...block.alpha, ...block.alpha, ...block.alpha]);
    const beta = Float64Array.from([...block.beta, 0, ...block.beta, 0, ...block.beta]);
    const { values } = tridiagonalEigen(alpha, beta);
    for (let j = 0; j < 15; j += 3) {
      expectClose([values[j + 1], values[j + 2]], [values[j], values[j]], { atol: 1e-13, rtol: 1e-13 }, 'triple');
    }
    // Eigenvectors of a repeated eigenvalue are not unique, so only the invariant properties are checked.
    checkAgainstReference(alpha, beta, false);
  });

  it('handles Wilkinson W21+ (pairs agreeing to ~1e-14)', () => {
    const alpha = Float64Array.from({ length: 21 }, (_, i) => Math.abs(10 - i));
    const beta = new Float64Array(20).fill(1);
    checkAgainstReference(alpha, beta, false);
    const { values } = tridiagonalEigen(alpha, beta);
    expect(values[0]).toBeCloseTo(10.746194182903393, 13);
  });

  it('handles a constant matrix with all-equal off-diagonals (known closed form)', () => {
    // Eigenvalues of tridiag(1, 2, 1) are 2 + 2·cos(kπ/(m+1)).
    const m = 50;
    const { values } = tridiagonalEigen(new Float64Array(m).fill(2), new Float64Array(m - 1).fill(1));
    const expected = Array.from({ length: m }, (_, k) => 2 + 2 * Math.cos(((k + 1) * Math.PI) / (m + 1)));
    expectClose(values, expected, { atol: 1e-13, rtol: 1e-12 }, 'tridiag(1,2,1)');
    checkEigenpairs(new Float64Array(m).fill(2), new Float64Array(m - 1).fill(1));
  });

  for (const scale of [1e-150, 1e-8, 1e8, 1e150]) {
    it(`is scale-equivariant at scale ${scale}`, () => {
      const { alpha, beta } = randomTridiagonal(30, 21);
      const base = tridiagonalEigen(alpha, beta).values.map((v) => v * scale);
      const scaled = tridiagonalEigen(alpha.map((v) => v * scale), beta.map((v) => v * scale));
      expectClose(scaled.values, base, { atol: 1e-13 * scale, rtol: 1e-12 }, `scale ${scale}`);
    });
  }

  it('rejects a beta of the wrong length', () => {
    expect(() => tridiagonalEigen([1, 2, 3], [1, 2, 3])).toThrow(/beta must have length m−1 = 2/);
    expect(() => tridiagonalEigen([1], [0])).toThrow(/length m−1 = 0/);
  });

  it('rejects non-finite input', () => {
    expect(() => tridiagonalEigen([1, NaN, 3], [1, 2])).toThrow(/non-finite entry at index 1/);
    expect(() => tridiagonalEigen([1, 2, 3], [1, Infinity])).toThrow(/non-finite entry at index 1/);
  });
});
