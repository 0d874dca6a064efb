/**
 * Hutchinson's trace estimator: tr(A) = E[zᵀAz] over probe vectors z with independent ±1 entries
 * (Rademacher), whose variance 2·Σ_{i≠j} A_ij² is the smallest of any i.i.d. probe (the diagonal
 * contributes none). The host draws the probes from the seeded Rng and uploads k per block pass;
 * every zᵀAz of a pass comes from one Gram product, read back once.
 */
import { releaseDispatches } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { checkDims } from '../gpu/ops/operand';
import { Rng } from '../util/rng';
import { mean, std } from '../util/stats';
import { prepareGram, randomVector } from './vector-ops';
import type { BlockOperator } from './block-operator';

export interface HutchinsonOptions {
  /** Probe vectors (default 30). */
  samples?: number;
  seed?: number;
}

export interface TraceEstimate {
  /** Mean of the per-sample estimates. */
  trace: number;
  /** Sample standard deviation / √samples (NaN for a single sample). */
  standardError: number;
  samples: number;
  /** zᵀAz for each probe, in order. */
  estimates: number[];
  hvps: number;
}

export function finite(estimate: number, sample: number, name: string): number {
  if (!Number.isFinite(estimate)) {
    throw new Error(`${name}: sample ${sample} gave zᵀAz = ${estimate}; the operator returned non-finite values`);
  }
  return estimate;
}

export function standardError(x: readonly number[]): number {
  return std(x) / Math.sqrt(x.length);
}

/**
 * Hutchinson's estimator with k probes per block pass: Rademacher probes drawn from the seeded
 * stream in order (the single-vector reference in test/support draws the same ones, so the two
 * agree up to float32 rounding), k at a time (blockQuadraticForms).
 */
export async function blockHutchinsonTrace(op: BlockOperator, options: HutchinsonOptions = {}): Promise<TraceEstimate> {
  const { samples = 30, seed = 0 } = options;
  checkDims('blockHutchinsonTrace', { samples });
  const rng = new Rng(seed);
  const estimates = await blockQuadraticForms(op, samples, () => randomVector(rng, op.size, 'rademacher'), 'blockHutchinsonTrace');
  return { trace: mean(estimates), standardError: standardError(estimates), samples, estimates, hvps: Math.ceil(samples / op.k) * op.k };
}

/**
 * vᵀAv for `samples` probe vectors v, drawn in order by `draw` (host vectors of op.size), k per
 * block pass (quadraticFormPasses). The probe-based estimators share this loop (Hutchinson's trace
 * here, relative flatness in relative-flatness.ts).
 */
export async function blockQuadraticForms(op: BlockOperator, samples: number, draw: () => Float32Array, name: string): Promise<number[]> {
  checkDims(name, { samples });
  const passes = await quadraticFormPasses(op, name);
  const estimates: number[] = [];
  try {
    while (estimates.length < samples) {
      const rows = Array.from({ length: Math.min(op.k, samples - estimates.length) }, draw);
      estimates.push(...await passes.pass(rows));
    }
    return estimates;
  } finally {
    passes.destroy();
  }
}

/**
 * One block pass per call: pass(rows) uploads up to k host vectors v (the rest of the block zero)
 * and returns vᵀAv for each, from one Gram product of [V; AV] read back once. For estimators that
 * decide after each pass whether to go on (the adaptive deflated trace). The caller destroys it.
 */
export async function quadraticFormPasses(op: BlockOperator, name: string): Promise<{ pass(rows: Float32Array[]): Promise<number[]>; destroy(): void }> {
  const { gpu, size: n, k, input: Z, output: AZ } = op;
  const gram = Tensor.create(gpu, [4 * k * k], { label: `${name}:gram` });
  const products = await prepareGram(gpu, { basis: Z, n, rows: k }, { basis: AZ, n, rows: k }, gram);
  let seen = 0;
  return {
    async pass(rows) {
      if (rows.length < 1 || rows.length > k) throw new Error(`${name}: ${rows.length} vectors for a block of ${k}`);
      const block = new Float32Array(k * n);
      rows.forEach((v, j) => block.set(v, j * n));
      Z.write(block);
      gpu.submit((encoder) => {
        op.encode(encoder);
        gpu.encode(encoder, products);
      });
      const G = await gram.read();
      return rows.map((_, j) => finite(G[j * 2 * k + k + j], seen++, name));
    },
    destroy() {
      releaseDispatches(products);
      gram.destroy();
    },
  };
}
