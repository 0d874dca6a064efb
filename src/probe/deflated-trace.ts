/**
 * The trace with the top eigenpairs taken out exactly, and Hutchinson's estimator only on the rest
 * (deflation, the idea behind Hutch++: Meyer, Musco, Musco & Woodruff 2021). For any k orthonormal
 * vectors Q and P = I − QQᵀ,
 *
 *   tr(A) = tr(QᵀAQ) + tr(PAP),
 *
 * exactly, whether or not Q holds converged eigenvectors. The first term is k quadratic forms qᵢᵀAqᵢ
 * (computed, not the solver's Ritz values, so an unconverged Q costs variance, never bias); the
 * second is Hutchinson's estimator with probes Pz, z Rademacher, since (Pz)ᵀA(Pz) = zᵀPAPz. A trained
 * network's trace is dominated by its ~one-per-class outliers, which make zᵀAz heavy-tailed
 * (λ₁(q₁ᵀz)² is a scaled χ²₁); with them deflated the probes see the bulk alone.
 *
 * Adaptive: probes go through the block pass k at a time, and after each pass the 95 % bootstrap-t
 * interval of the probes' mean (studentizedMeanInterval, which covers for skewed probes) is formed;
 * the estimator stops when the whole trace's relative half-width is ≤ `target`, or when `maxSamples`
 * probes are spent, and says which. Projection happens on the host in float64 (k·P per probe).
 */
import { Rng } from '../util/rng';
import { relativeHalfWidth, studentizedMeanInterval } from '../util/bootstrap';
import { checkDims } from '../gpu/ops/operand';
import type { BlockOperator } from './block-operator';
import { quadraticFormPasses } from './hutchinson';
import { randomVector } from './vector-ops';

export interface DeflatedTraceOptions {
  /** Stop once the 95 % interval's half-width is ≤ target·|trace| (default 0.02). */
  target?: number;
  /** Probes before the first check (default 16: fewer make the interval itself unreliable). */
  minSamples?: number;
  /** The probe budget (default 128). */
  maxSamples?: number;
  seed?: number;
  /** Interval level (default 0.95). */
  level?: number;
}

export interface DeflatedTrace {
  trace: number;
  /** The interval of the trace (bootstrap-t over the probes; the deflated part is exact). */
  low: number;
  high: number;
  /** tr(QᵀAQ): the deflated subspace's exact part. */
  deflatedPart: number;
  /** Directions deflated (Q's rank after orthonormalisation). */
  rank: number;
  /** Probes used, and why the estimator stopped. */
  samples: number;
  stop: 'target' | 'budget';
  /** (Pz)ᵀA(Pz) for each probe, in order. */
  estimates: number[];
  /** Operator applications, the block's unused rows counted. */
  hvps: number;
}

export async function deflatedTrace(op: BlockOperator, basis: readonly ArrayLike<number>[], options: DeflatedTraceOptions = {}): Promise<DeflatedTrace> {
  const { target = 0.02, minSamples = 16, maxSamples = 128, seed = 0, level = 0.95 } = options;
  checkDims('deflatedTrace', { minSamples, maxSamples });
  if (!(target > 0 && Number.isFinite(target))) throw new Error(`deflatedTrace: target must be a finite number > 0, got ${target}`);
  if (minSamples > maxSamples) throw new Error(`deflatedTrace: minSamples (${minSamples}) exceeds maxSamples (${maxSamples})`);
  const n = op.size;
  const Q = orthonormalRows(basis, n);
  if (Q.length > op.k) throw new Error(`deflatedTrace: ${Q.length} deflated directions exceed the block of ${op.k}`);
  const rng = new Rng(seed);
  const probe = () => project(Q, randomVector(rng, n, 'rademacher'));
  const passes = await quadraticFormPasses(op, 'deflatedTrace');
  let hvps = 0;
  try {
    // The first pass carries Q's rows, the rest of it probes.
    const first = [...Q.map((q) => Float32Array.from(q)), ...Array.from({ length: Math.min(op.k - Q.length, maxSamples) }, probe)];
    const forms = await passes.pass(first);
    hvps += op.k;
    const deflatedPart = forms.slice(0, Q.length).reduce((a, b) => a + b, 0);
    const estimates = forms.slice(Q.length);
    const r = await adaptiveMean(deflatedPart, estimates, (rows) => {
      hvps += op.k;
      return passes.pass(Array.from({ length: rows }, probe));
    }, { target, minSamples, maxSamples, level, block: op.k, seed });
    return { ...r, deflatedPart, rank: Q.length, hvps };
  } finally {
    passes.destroy();
  }
}

/**
 * offset + mean of draws, drawing `block` more (at most) until the interval's relative half-width is
 * ≤ target (from minSamples on) or maxSamples are spent. Host-only, so the coverage of exactly this
 * rule is measured in test/host/coverage.test.ts.
 */
export async function adaptiveMean(
  offset: number, initial: number[], more: (rows: number) => Promise<number[]> | number[],
  o: { target: number; minSamples: number; maxSamples: number; level: number; block: number; seed: number; resamples?: number },
): Promise<{ trace: number; low: number; high: number; samples: number; stop: 'target' | 'budget'; estimates: number[] }> {
  const estimates = initial.slice(0, o.maxSamples);
  const interval = () => {
    const i = studentizedMeanInterval(estimates, { level: o.level, seed: o.seed, resamples: o.resamples ?? 2000 });
    return { trace: offset + i.estimate, low: offset + i.low, high: offset + i.high };
  };
  for (;;) {
    const ready = estimates.length >= o.minSamples;
    const now = ready ? interval() : undefined;
    if (now && relativeHalfWidth({ estimate: now.trace, low: now.low, high: now.high }) <= o.target) {
      return { ...now, samples: estimates.length, stop: 'target', estimates };
    }
    if (estimates.length >= o.maxSamples) return { ...(now ?? interval()), samples: estimates.length, stop: 'budget', estimates };
    estimates.push(...await more(Math.min(o.block, o.maxSamples - estimates.length)));
  }
}

/** Gram–Schmidt (twice) in float64 of the given rows; rows that vanish against the others are dropped. */
export function orthonormalRows(rows: readonly ArrayLike<number>[], n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (const r of rows) {
    if (r.length !== n) throw new Error(`deflatedTrace: a basis vector has ${r.length} entries; the operator has ${n}`);
    const v = Float64Array.from(r);
    const before = norm(v);
    for (let pass = 0; pass < 2; pass++) projectOut(out, v);
    const after = norm(v);
    if (!(after > 1e-3 * before)) continue;
    for (let i = 0; i < n; i++) v[i] /= after;
    out.push(v);
  }
  return out;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function projectOut(Q: readonly Float64Array[], v: Float64Array): void {
  for (const q of Q) {
    let d = 0;
    for (let i = 0; i < v.length; i++) d += q[i] * v[i];
    for (let i = 0; i < v.length; i++) v[i] -= d * q[i];
  }
}

/** (I − QQᵀ)z, twice for float64 cleanliness, as float32 for the GPU. */
function project(Q: readonly Float64Array[], z: ArrayLike<number>): Float32Array {
  const v = Float64Array.from(z);
  projectOut(Q, v);
  projectOut(Q, v);
  return Float32Array.from(v);
}
