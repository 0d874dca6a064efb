/**
 * Coverage of the probe suite's intervals, measured: on constructed operators and distributions
 * whose mean is known exactly, each estimator's 95 % interval is formed over and over (≥ 400 trials,
 * fresh probes each time) and the fraction that contains the true value is counted — ≥ 90 % is
 * required for every estimator, and the figures are printed. The probes are skewed on purpose:
 * Hutchinson's zᵀAz on a spectrum with one dominant outlier (a scaled χ²₁ plus noise), relative
 * flatness's (Wr ⊗ z)ᵀH(Wr ⊗ z) with the real probe generator, the loss increase ½ρ²·uᵀHu/‖u‖²·P of
 * random directions (perturbation and adaptive sharpness at a quadratic minimum), and χ²₁ draws.
 * The adaptive deflated trace is run through the same stopping rule the GPU path uses (adaptiveMean).
 * The percentile bootstrap is measured alongside, for the record of why bootstrap-t is used.
 */
import { describe, expect, it } from 'vitest';
import { meanInterval, studentizedMeanInterval } from '../../src/util/bootstrap';
import { adaptiveMean, orthonormalRows } from '../../src/probe/deflated-trace';
import { flatnessProbes } from '../../src/probe/relative-flatness';
import { paramLayout } from '../../src/autograd/layout';
import { Rng } from '../../src/util/rng';
import { freshSeed } from '../support/random';

const seed = freshSeed();
const TRIALS = 400;
const PROBES = 16;
const opts = (t: number) => ({ resamples: 1000, seed: seed + t });

/** A symmetric n × n matrix with the given eigenvalues and seeded random eigenvectors (float64, row-major). */
function withSpectrum(eigenvalues: number[], rng: Rng): { A: Float64Array; vectors: Float64Array[] } {
  const n = eigenvalues.length;
  const vectors = orthonormalRows(Array.from({ length: n }, () => Float64Array.from({ length: n }, () => rng.normal())), n);
  const A = new Float64Array(n * n);
  eigenvalues.forEach((l, k) => {
    const u = vectors[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += l * u[i] * u[j];
  });
  return { A, vectors };
}

const quad = (A: Float64Array, v: ArrayLike<number>) => {
  const n = v.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += A[i * n + j] * v[j];
    s += v[i] * row;
  }
  return s;
};

/** Coverage of both intervals of the mean for TRIALS samples of PROBES draws. */
function coverage(draw: (rng: Rng) => number, truth: number, rng: Rng): { studentized: number; percentile: number } {
  let studentized = 0;
  let percentile = 0;
  for (let t = 0; t < TRIALS; t++) {
    const x = Array.from({ length: PROBES }, () => draw(rng));
    const s = studentizedMeanInterval(x, opts(t));
    const p = meanInterval(x, opts(t));
    if (s.low <= truth && truth <= s.high) studentized++;
    if (p.low <= truth && truth <= p.high) percentile++;
  }
  return { studentized: studentized / TRIALS, percentile: percentile / TRIALS };
}

const report = (what: string, c: { studentized: number; percentile?: number }) =>
  console.log(`coverage of nominal 95 %, ${what}: bootstrap-t ${(100 * c.studentized).toFixed(1)} %` +
    (c.percentile === undefined ? '' : `, percentile ${(100 * c.percentile).toFixed(1)} %`) + ` (${TRIALS} trials)`);

describe(`interval coverage on skewed probes (seed ${seed})`, () => {
  const rng = new Rng(seed);
  const n = 40;
  // One dominant outlier over a small bulk with a few negative eigenvalues.
  const spectrum = [40, ...Array.from({ length: n - 1 }, (_, i) => -0.5 + (1.5 * i) / (n - 2))];
  const trace = spectrum.reduce((a, b) => a + b, 0);
  const { A, vectors } = withSpectrum(spectrum, rng);
  const rademacher = (r: Rng) => Float64Array.from({ length: n }, () => r.sign());

  it("Hutchinson's trace (zᵀAz, Rademacher z, a dominant outlier)", () => {
    const c = coverage((r) => quad(A, rademacher(r)), trace, rng);
    report('plain Hutchinson trace', c);
    expect(c.studentized).toBeGreaterThanOrEqual(0.9);
  });

  it('the deflated trace with adaptive stopping (Q an inexact top eigenvector)', async () => {
    // Q is the outlier's eigenvector tilted by noise: deflation then leaves part of the outlier in
    // PAP, and the identity tr(A) = tr(QᵀAQ) + tr(PAP) still holds exactly.
    const tilted = vectors[0].map((u) => u + 0.05 * rng.normal());
    const Q = orthonormalRows([tilted], n);
    const project = (z: Float64Array) => {
      let d = 0;
      for (let i = 0; i < n; i++) d += Q[0][i] * z[i];
      return z.map((zi, i) => zi - d * Q[0][i]);
    };
    let covered = 0;
    let probes = 0;
    let stoppedOnTarget = 0;
    for (let t = 0; t < TRIALS; t++) {
      const more = (rows: number) => Array.from({ length: rows }, () => quad(A, project(rademacher(rng))));
      const r = await adaptiveMean(quad(A, Q[0]), more(PROBES), more, { target: 0.1, minSamples: PROBES, maxSamples: 64, level: 0.95, block: 16, seed: seed + t, resamples: 500 });
      if (r.low <= trace && trace <= r.high) covered++;
      probes += r.samples;
      if (r.stop === 'target') stoppedOnTarget++;
    }
    report(`adaptive deflated trace (10 % target, mean ${(probes / TRIALS).toFixed(0)} probes, ${stoppedOnTarget} of ${TRIALS} stopped on the target)`,
      { studentized: covered / TRIALS });
    expect(covered / TRIALS).toBeGreaterThanOrEqual(0.9);
  });

  it("relative flatness κ with the real probe generator on a constructed Hessian", () => {
    const layout = paramLayout([3, 5, 4]);
    const P = layout.size;
    const H = withSpectrum([25, 6, ...Array.from({ length: P - 2 }, (_, i) => -0.3 + (2 * i) / (P - 3))], rng).A;
    const params = Float64Array.from({ length: P }, () => rng.normal());
    const { inDim, outDim, weightOffset } = layout.layers[1];
    // κ = Σ_{s,s'} ⟨w_s, w_s'⟩ Σ_j H_{(s,j),(s',j)}.
    let kappa = 0;
    for (let s = 0; s < outDim; s++) {
      for (let s2 = 0; s2 < outDim; s2++) {
        let w = 0;
        let h = 0;
        for (let j = 0; j < inDim; j++) {
          w += params[weightOffset + s * inDim + j] * params[weightOffset + s2 * inDim + j];
          h += H[(weightOffset + s * inDim + j) * P + weightOffset + s2 * inDim + j];
        }
        kappa += w * h;
      }
    }
    let trial = 0;
    const c = coverage(() => {
      // A fresh generator per draw keeps the probes independent across trials.
      const draw = flatnessProbes(params, layout, 1, seed + 1000 + trial++);
      return quad(H, draw());
    }, kappa, rng);
    report('relative flatness κ', c);
    expect(c.studentized).toBeGreaterThanOrEqual(0.9);
  });

  it('the mean loss increase along random directions (perturbation and adaptive sharpness at a quadratic minimum)', () => {
    const rho = 0.05;
    const c = coverage((r) => {
      const u = Float64Array.from({ length: n }, () => r.normal());
      const norm2 = u.reduce((s, x) => s + x * x, 0);
      return 0.5 * rho * rho * n * quad(A, u) / norm2;
    }, 0.5 * rho * rho * trace, rng);
    report('mean loss increase', c);
    expect(c.studentized).toBeGreaterThanOrEqual(0.9);
  });

  it('χ²₁ draws (skewness 2.8)', () => {
    const c = coverage((r) => r.normal() ** 2, 1, rng);
    report('χ²₁ mean', c);
    expect(c.studentized).toBeGreaterThanOrEqual(0.9);
  });
});
