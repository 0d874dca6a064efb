/**
 * Loss-landscape slices: L(θ + α·d) along one direction and L(θ + α·d₁ + β·d₂) over a plane
 * (Goodfellow et al. 2015 for 1-D; Li et al. 2018 for 2-D with filter-normalised directions,
 * see directions.ts).
 *
 * Every point is evaluated on the GPU without moving θ through the host: θ is saved once into a
 * GPU copy, and for each point one command buffer copies it back into the model's parameters and
 * adds Σ_k c_k·d_k with one axpby dispatch per direction. The dispatches are prepared once; the
 * coefficients c_k live in a small GPU buffer rewritten per point, so a grid of any size reuses
 * the same bind groups. Then model.loss runs its cached pass and reads back its scalars — the one
 * host round trip per point. The parameters are restored bit for bit when the evaluation ends,
 * normally or by an error, so a probe never leaves the model displaced.
 *
 * Coefficients are applied in float32 (θ + fround(α)·d, in float32), as the kernels compute.
 *
 * slice1d and slice2d evaluate their grids in batches (lossAtPoints): each batch builds up to
 * POINTS_PER_PASS points θ + Σ c_k·d_k as rows of one buffer, with the same copy-and-axpby steps,
 * and the points pass (autograd/points-pass.ts) evaluates all of them in one pass over the data,
 * so a 41×41 plane costs ~105 passes instead of 1,681. The model's parameters are never moved.
 * withDisplacement, one point per pass, stays as the reference the tests compare against.
 */
import { releaseDispatches, type Dispatch } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareAxpby } from '../gpu/ops/elementwise';
import type { EvalOptions, LossResult, Mlp } from '../autograd/mlp';
import { PointsPassPlan } from '../autograd/points-pass';
import type { GpuDataset } from '../data/gpu-dataset';

/** A direction in parameter space: host values, or a GPU vector (e.g. an eigenvector or gradient) used in place, never written. */
export type Direction = ArrayLike<number> | Tensor;

/** Explicit coefficients, or `steps` evenly spaced values from `from` to `to` inclusive. */
export type Grid = readonly number[] | { from: number; to: number; steps: number };

export interface Slice1dOptions extends EvalOptions {
  alphas: Grid;
}

export interface Slice2dOptions extends EvalOptions {
  alphas: Grid;
  betas: Grid;
}

export interface Slice1d {
  alphas: number[];
  /** loss[i] = L(θ + alphas[i]·d). */
  loss: number[];
  accuracy: number[];
}

export interface Slice2d {
  alphas: number[];
  betas: number[];
  /** loss[j][i] = L(θ + alphas[i]·d₁ + betas[j]·d₂): one row per β. */
  loss: number[][];
  accuracy: number[][];
}

export async function slice1d(model: Mlp, data: GpuDataset, direction: Direction, options: Slice1dOptions): Promise<Slice1d> {
  const { alphas: grid, ...evalOptions } = options;
  const alphas = resolveGrid('alphas', grid);
  const points = await lossAtPoints(model, data, [direction], alphas.map((a) => [a]), evalOptions);
  return { alphas, loss: points.map((p) => p.loss), accuracy: points.map((p) => p.accuracy) };
}

export async function slice2d(model: Mlp, data: GpuDataset, d1: Direction, d2: Direction, options: Slice2dOptions): Promise<Slice2d> {
  const { alphas: aGrid, betas: bGrid, ...evalOptions } = options;
  const alphas = resolveGrid('alphas', aGrid);
  const betas = resolveGrid('betas', bGrid);
  const points = await lossAtPoints(model, data, [d1, d2], betas.flatMap((b) => alphas.map((a) => [a, b])), evalOptions);
  const rows = betas.map((_, j) => points.slice(j * alphas.length, (j + 1) * alphas.length));
  return { alphas, betas, loss: rows.map((r) => r.map((p) => p.loss)), accuracy: rows.map((r) => r.map((p) => p.accuracy)) };
}

export function resolveGrid(name: string, grid: Grid): number[] {
  let values: number[];
  if ('steps' in grid) {
    const { from, to, steps } = grid;
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`${name}: steps must be a positive integer, got ${steps}`);
    // The last point is `to` itself, not from + (to − from), which can miss it by a rounding.
    values = Array.from({ length: steps }, (_, i) => (i === 0 ? from : i === steps - 1 ? to : from + ((to - from) * i) / (steps - 1)));
  } else {
    values = [...grid];
  }
  if (values.length === 0) throw new Error(`${name}: the grid is empty`);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`${name}[${bad}] is ${values[bad]}; coefficients must be finite`);
  return values;
}

/** Points per pass of lossAtPoints: wide enough for the first layer's GEMM to pay off, small enough for a software adapter's memory. */
export const POINTS_PER_PASS = 16;

/**
 * L(θ + Σ_k coefs[i][k]·directions[k]) for every row i of coefs, POINTS_PER_PASS points per pass
 * over the data, without touching the model's parameters.
 */
export async function lossAtPoints(
  model: Mlp, data: GpuDataset, directions: readonly Direction[], coefs: readonly (readonly number[])[], options: EvalOptions,
): Promise<LossResult[]> {
  const { gpu, params } = model;
  const size = model.layout.size;
  const T = directions.length;
  directions.forEach((d, k) => checkDirection(model, d, k));
  coefs.forEach((c, i) => {
    if (c.length !== T) throw new Error(`lossAtPoints: point ${i} has ${c.length} coefficients for ${T} directions`);
  });
  const K = Math.min(POINTS_PER_PASS, coefs.length);
  const owned: Tensor[] = [];
  const keep = (t: Tensor) => (owned.push(t), t);
  const steps: Dispatch[] = [];
  let plan: PointsPassPlan | undefined;
  try {
    const tensors = directions.map((d, k) => (d instanceof Tensor ? d : keep(Tensor.create(gpu, [size], { label: `points:d${k}`, data: d }))));
    const points = keep(Tensor.create(gpu, [K, size], { label: 'points:theta' }));
    const coefBuffer = keep(Tensor.create(gpu, [K * T], { label: 'points:coefs' }));
    for (let j = 0; j < K; j++) {
      for (const [k, d] of tensors.entries()) {
        steps.push(await prepareAxpby(gpu, size, 1, { buffer: d }, 1, { buffer: points, offset: j * size }, { kind: 'scalar', scalars: coefBuffer, slot: j * T + k }));
      }
    }
    const { chunkSize, weightDecay, includeRegulariser } = options;
    plan = await PointsPassPlan.prepare(model, { data, points, k: K, chunkSize, weightDecay, includeRegulariser });
    const results: LossResult[] = [];
    for (let first = 0; first < coefs.length; first += K) {
      const batch = coefs.slice(first, first + K);
      // Unused rows of the last batch evaluate θ itself (zero coefficients) and are dropped.
      coefBuffer.write(Float32Array.from({ length: K * T }, (_, i) => batch[Math.floor(i / T)]?.[i % T] ?? 0));
      gpu.submit((encoder) => {
        for (let j = 0; j < K; j++) encoder.copyBufferToBuffer(params.buffer, 0, points.buffer, j * size * 4, size * 4);
        gpu.encode(encoder, steps);
        plan!.encode(encoder);
      });
      const losses = await plan.read();
      results.push(...losses.slice(0, batch.length).map((l) => ({ ...l, count: plan!.count })));
    }
    return results;
  } finally {
    plan?.destroy();
    releaseDispatches(steps);
    for (const t of owned) t.destroy();
  }
}

/** What a displaced evaluation offers the code running inside it. */
export interface Displacement {
  /** The directions on the GPU. Those given as host arrays are private copies the caller may overwrite (one per perturbation sample, say). */
  readonly directions: readonly Tensor[];
  /** Sets the parameters to θ + Σ_k coefs[k]·directions[k] and evaluates the loss there. */
  lossAt(coefs: readonly number[]): Promise<LossResult>;
}

/**
 * Runs `body` with θ saved on the GPU and the model's parameters free to be displaced; restores θ
 * exactly afterwards, even if `body` or an evaluation throws.
 */
export async function withDisplacement<T>(
  model: Mlp, data: GpuDataset, directions: readonly Direction[], options: EvalOptions,
  body: (displacement: Displacement) => Promise<T>,
): Promise<T> {
  const { gpu, params } = model;
  const size = model.layout.size;
  directions.forEach((d, k) => checkDirection(model, d, k));
  const held = holdParams(model);
  const owned: Tensor[] = [];
  const keep = (t: Tensor) => (owned.push(t), t);
  const steps: Dispatch[] = [];
  try {
    const tensors = directions.map((d, k) => (d instanceof Tensor ? d : keep(Tensor.create(gpu, [size], { label: `displace:d${k}`, data: d }))));
    const coefs = keep(Tensor.create(gpu, [tensors.length], { label: 'displace:coefs' }));
    for (const [k, d] of tensors.entries()) {
      steps.push(await prepareAxpby(gpu, size, 1, { buffer: d }, 1, { buffer: params }, { kind: 'scalar', scalars: coefs, slot: k }));
    }
    const lossAt = async (c: readonly number[]): Promise<LossResult> => {
      if (c.length !== tensors.length) throw new Error(`lossAt: ${c.length} coefficients for ${tensors.length} directions`);
      coefs.write(Float32Array.from(c));
      gpu.submit((encoder) => {
        held.reset(encoder);
        gpu.encode(encoder, steps);
      });
      return model.loss(data, options);
    };
    return await body({ directions: tensors, lossAt });
  } finally {
    held.release();
    releaseDispatches(steps);
    for (const t of owned) t.destroy();
  }
}

/** θ saved in a GPU copy while a probe displaces the model's parameters. */
export interface HeldParams {
  origin: Tensor;
  /** Record the copy of θ back into the parameters. */
  reset(encoder: GPUCommandEncoder): void;
  /** Put θ back, bit for bit, and free the copy. */
  release(): void;
}

/** Saves θ on the GPU; call release() in a finally so the model is never left displaced. */
export function holdParams(model: Mlp): HeldParams {
  const { gpu, params } = model;
  const bytes = model.layout.size * 4;
  const origin = Tensor.create(gpu, [model.layout.size], { label: 'displace:origin' });
  gpu.submit((save) => save.copyBufferToBuffer(params.buffer, 0, origin.buffer, 0, bytes));
  const reset = (encoder: GPUCommandEncoder) => encoder.copyBufferToBuffer(origin.buffer, 0, params.buffer, 0, bytes);
  return {
    origin, reset,
    release() {
      // Queue order puts the restore ahead of any later use of the parameters, and destroying a
      // buffer waits for the work already submitted on it, so nothing here needs to block.
      gpu.submit((restore) => reset(restore));
      origin.destroy();
    },
  };
}

function checkDirection(model: Mlp, d: Direction, k: number): void {
  const size = model.layout.size;
  if (d instanceof Tensor) {
    if (d.size !== size || d.dtype !== 'f32') throw new Error(`direction ${k} is a ${d.dtype} tensor of ${d.size} elements; the network has ${size} f32 parameters`);
    if (d.buffer === model.params.buffer) throw new Error(`direction ${k} is the model's own parameter buffer; pass a copy`);
    return;
  }
  if (d.length !== size) throw new Error(`direction ${k} has ${d.length} elements; the network has ${size} parameters`);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) throw new Error(`direction ${k}[${i}] is ${d[i]}; directions must be finite`);
  }
}
