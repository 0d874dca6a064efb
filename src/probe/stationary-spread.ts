/**
 * The stationary spread of the weights along fixed unit directions: run a stochastic iteration
 * (a caller-supplied step: SGD on the MLP in the study, a noisy quadratic in the tests — the same
 * estimator code either way) for `burnIn` steps, then `steps` more, and every `recordEvery` steps
 * record the projections u_iᵀ(θ_t − θ_0) of the parameters on the m directions. Recording is one
 * projection U·(θ − θ_0) (probe.wgsl's project kernel) into a small GPU buffer and one copy into the record table, both in the step's command
 * encoder; the table (records × m floats) is read once at the end. The anchor θ_0 (the start) keeps
 * the projected numbers small, so float32 resolves fluctuations far below ‖θ‖.
 *
 * Statistics (host, float64), per direction:
 * - σ² = Var_t of the projection around a least-squares linear trend (a + b·t), so a slow drift of
 *   the minimum during the window (a cross-entropy "minimum" keeps creeping) is not counted as
 *   spread; the drift b is reported so it can be judged.
 * - Its standard error by batch means: the records are autocorrelated (a direction with curvature λ
 *   forgets in ~1/(ηλ) steps), so the residuals' squares are cut into `batches` contiguous batches
 *   and SE = sd(batch means)/√batches — honest when each batch is several correlation times long,
 *   unlike the i.i.d. formula, which would understate it by about √τ.
 * - The integrated autocorrelation time τ (in steps) from the batch means of the residuals,
 *   τ ≈ (records per batch)·Var(batch means)/σ² × recordEvery, and the effective sample size
 *   steps/τ, so a reader can see whether the window was long enough.
 */
import type { Gpu } from '../gpu/context';
import { releaseDispatches, type Dispatch } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareAxpby } from '../gpu/ops/elementwise';
import { prepareProject } from './vector-ops';

export interface SpreadOptions {
  /** The parameters the step moves (P floats). */
  params: Tensor;
  /** m × P unit directions. */
  directions: Tensor;
  m: number;
  /** Encode one step of the iteration into the encoder (t counts from 0, burn-in included). */
  step: (encoder: GPUCommandEncoder, t: number) => void;
  /** Steps before recording starts. */
  burnIn: number;
  /** Steps recorded over (a multiple of recordEvery is used; the rest is not run). */
  steps: number;
  recordEvery: number;
  /** Batches for the batch-means error (default 20); each must hold at least 2 records. */
  batches?: number;
  /** Abort between steps (the study's Ctrl-C). */
  signal?: AbortSignal;
}

export interface DirectionSpread {
  /** Var_t(u·θ_t) around the linear trend. */
  variance: number;
  /** Batch-means standard error of variance. */
  stdError: number;
  /** The trend's slope, per step. */
  driftPerStep: number;
  /** Integrated autocorrelation time of the projection, in steps (batch-means estimate). */
  autocorrelationSteps: number;
  /** Recorded steps / autocorrelation time. */
  effectiveSamples: number;
}

export interface SpreadResult {
  directions: DirectionSpread[];
  records: number;
  /** Steps run in all (burn-in included). */
  stepsRun: number;
  batches: number;
  /** The raw records, records × m, row r = projections at the r-th record. */
  projections: Float32Array;
}

export function checkSpreadOptions(o: Pick<SpreadOptions, 'burnIn' | 'steps' | 'recordEvery' | 'batches'>): { records: number; batches: number } {
  const nonNegInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0) throw new Error(`stationary spread: ${name} must be a non-negative integer, got ${v}`);
  };
  nonNegInt('burnIn', o.burnIn);
  nonNegInt('steps', o.steps);
  if (!Number.isInteger(o.recordEvery) || o.recordEvery < 1) throw new Error(`stationary spread: recordEvery must be a positive integer, got ${o.recordEvery}`);
  const batches = o.batches ?? 20;
  if (!Number.isInteger(batches) || batches < 2) throw new Error(`stationary spread: batches must be an integer ≥ 2, got ${batches}`);
  const records = Math.floor(o.steps / o.recordEvery);
  if (records < 2 * batches) {
    throw new Error(`stationary spread: ${o.steps} steps recorded every ${o.recordEvery} give ${records} records, ` +
      `but ${batches} batch means need at least ${2 * batches}; raise steps or lower recordEvery`);
  }
  return { records, batches };
}

export async function stationarySpread(gpu: Gpu, o: SpreadOptions): Promise<SpreadResult> {
  const { records, batches } = checkSpreadOptions(o);
  const P = o.params.size;
  const { m } = o;
  if (!Number.isInteger(m) || m < 1) throw new Error(`stationary spread: m must be a positive integer, got ${m}`);
  if (o.directions.size < m * P) throw new Error(`stationary spread: directions has ${o.directions.size} elements; ${m} × ${P} needed`);
  const owned: Tensor[] = [];
  const make = (n: number, label: string) => {
    const t = Tensor.create(gpu, [n], { label: `spread:${label}` });
    owned.push(t);
    return t;
  };
  const dispatches: Dispatch[] = [];
  try {
    const anchor = make(P, 'anchor');
    const diff = make(P, 'diff');
    const projection = make(m, 'projection');
    const table = make(records * m, 'records');
    // diff = θ − anchor;  projection = U·diff by the Lanczos basis's project kernel (a workgroup per
    // row): an m × P × 1 GEMM would pad its tiles to a full width for one column (measured at 4× a
    // training step on lavapipe), m reductions would be 2m dispatches.
    const subtract = await prepareAxpby(gpu, P, -1, { buffer: anchor }, 1, { buffer: diff });
    const project = await prepareProject(gpu, { basis: o.directions, n: P, rows: m }, diff, projection);
    dispatches.push(subtract, project);
    const total = o.burnIn + records * o.recordEvery;
    let record = 0;
    for (let t = 0; t < total; t++) {
      if (o.signal?.aborted) throw new Error('stationary spread: stopped before the window was complete');
      gpu.submit((encoder) => {
        if (t === o.burnIn) encoder.copyBufferToBuffer(o.params.buffer, 0, anchor.buffer, 0, P * 4);
        o.step(encoder, t);
        if (t >= o.burnIn && (t - o.burnIn + 1) % o.recordEvery === 0) {
          encoder.copyBufferToBuffer(o.params.buffer, 0, diff.buffer, 0, P * 4);
          gpu.encode(encoder, [subtract, project]);
          encoder.copyBufferToBuffer(projection.buffer, 0, table.buffer, record * m * 4, m * 4);
          record++;
        }
      });
    }
    const projections = (await table.read()) as Float32Array;
    for (let i = 0; i < projections.length; i++) {
      if (!Number.isFinite(projections[i])) {
        throw new Error(`stationary spread: the iteration left finite values (record ${Math.floor(i / m)}, direction ${i % m} is ${projections[i]}); ` +
          'the step size is past the stability limit of this minimum');
      }
    }
    return { directions: spreadStatistics(projections, m, o.recordEvery, batches), records, stepsRun: total, batches, projections };
  } finally {
    releaseDispatches(dispatches);
    for (const t of owned) t.destroy();
  }
}

/** The per-direction statistics of a records × m table (see the header). */
export function spreadStatistics(table: ArrayLike<number>, m: number, recordEvery: number, batches: number): DirectionSpread[] {
  const R = Math.floor(table.length / m);
  const per = Math.floor(R / batches);
  const out: DirectionSpread[] = [];
  const tMean = (R - 1) / 2;
  let sxx = 0;
  for (let r = 0; r < R; r++) sxx += (r - tMean) ** 2;
  for (let i = 0; i < m; i++) {
    let mean = 0;
    for (let r = 0; r < R; r++) mean += table[r * m + i];
    mean /= R;
    let sxy = 0;
    for (let r = 0; r < R; r++) sxy += (r - tMean) * (table[r * m + i] - mean);
    const slope = sxy / sxx;
    const e = Float64Array.from({ length: R }, (_, r) => table[r * m + i] - mean - slope * (r - tMean));
    let ss = 0;
    for (const x of e) ss += x * x;
    const variance = ss / (R - 2);
    // Batch means over the first batches·per records (the tail of a non-divisible count is left out).
    const sq: number[] = [];
    const lin: number[] = [];
    for (let b = 0; b < batches; b++) {
      let s2 = 0;
      let s1 = 0;
      for (let r = b * per; r < (b + 1) * per; r++) {
        s2 += e[r] * e[r];
        s1 += e[r];
      }
      sq.push(s2 / per);
      lin.push(s1 / per);
    }
    const stdError = Math.sqrt(sampleVariance(sq) / batches);
    const meanOfLin = lin.reduce((a, b) => a + b, 0) / batches;
    const varOfMeans = lin.reduce((a, b) => a + (b - meanOfLin) ** 2, 0) / (batches - 1);
    // τ in records, at least 1 (a batch-means estimate can fall below it by chance); then in steps.
    const tauRecords = variance > 0 ? Math.max(1, (per * varOfMeans) / variance) : NaN;
    const autocorrelationSteps = tauRecords * recordEvery;
    out.push({ variance, stdError, driftPerStep: slope / recordEvery, autocorrelationSteps, effectiveSamples: (R * recordEvery) / autocorrelationSteps });
  }
  return out;
}

function sampleVariance(x: readonly number[]): number {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  return x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1);
}
