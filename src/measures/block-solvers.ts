/**
 * The block solvers as the measures run them, shared by the Hessian's and the Gauss–Newton
 * matrix's measures and the study's rescaling check: λmax with the top-k by block subspace
 * iteration, the trace by deflated Hutchinson with those pairs projected out, and the labels that
 * name each solver in the results.
 */
import type { BlockOperator } from '../probe/block-operator';
import { blockEigen, type BlockEigenResult } from '../probe/block-eigen';
import { deflatedTrace, type DeflatedTrace } from '../probe/deflated-trace';
import type { ProbeSettings } from './measure';

/** Make an operator, run `body` on it, and destroy it whatever happens (every measure's operator lifetime). */
export async function withOperator<O extends { destroy(): void }, T>(make: Promise<O>, body: (op: O) => Promise<T>): Promise<T> {
  const op = await make;
  try {
    return await body(op);
  } finally {
    op.destroy();
  }
}

type Stage = (text: string) => void | Promise<void>;
type Budget = Pick<ProbeSettings, 'topK' | 'tol' | 'maxIter' | 'traceTarget' | 'traceSamples' | 'traceMaxSamples'>;

/** The top-k eigenpairs by block subspace iteration, their vectors copied to the host (topK rows). */
export async function blockTop(op: BlockOperator, p: Budget, seed: number, stage: Stage = () => {}): Promise<{ eig: BlockEigenResult; vectors: Float32Array }> {
  await stage(`λmax and top-${p.topK} (block subspace iteration, ${op.k} directions per pass)`);
  const eig = await blockEigen(op, { want: p.topK, tol: p.tol, maxIter: p.maxIter, seed, vectors: true });
  const vectors = (await eig.vectors!.read(0, p.topK * op.size)) as Float32Array;
  eig.vectors!.destroy();
  return { eig, vectors };
}

/** The trace with the top-k rows of `vectors` deflated exactly, Hutchinson on the rest. */
export async function blockTrace(op: BlockOperator, vectors: Float32Array, p: Budget, seed: number, stage: Stage = () => {}): Promise<DeflatedTrace> {
  const P = op.size;
  await stage(`trace (top-${p.topK} deflated exactly, Hutchinson on the rest until ±${100 * p.traceTarget} %, ≤ ${p.traceMaxSamples} probes)`);
  const Q = Array.from({ length: p.topK }, (_, i) => vectors.subarray(i * P, (i + 1) * P));
  return deflatedTrace(op, Q, { target: p.traceTarget, minSamples: p.traceSamples, maxSamples: p.traceMaxSamples, seed });
}

/**
 * λmax and the top-k, then the trace with those k pairs deflated, on one block operator: the
 * Gauss–Newton measure and the rescaling check (study/rescaling.ts) measure the trace alike.
 */
export async function topAndTrace(op: BlockOperator, p: Budget, seed: number, stage: Stage = () => {}): Promise<{ eig: BlockEigenResult; vectors: Float32Array; trace: DeflatedTrace }> {
  const { eig, vectors } = await blockTop(op, p, seed, stage);
  const trace = await blockTrace(op, vectors, p, seed, stage);
  return { eig, vectors, trace };
}

export const blockEigenLabel = (k: number, passes: number) => `block subspace iteration (${k} directions per pass, ${passes} passes)`;

export const deflatedLabel = (s: Pick<ProbeSettings, 'traceTarget'>, t: { rank: number; samples: number; stop: string }) =>
  `deflated Hutchinson (top-${t.rank} exact + ${t.samples} Rademacher probes; ${t.stop === 'target' ? `stopped at ±${100 * s.traceTarget} %` : 'probe budget spent'})`;
