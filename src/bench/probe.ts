/**
 * Time to λmax: the block eigen-solver (blockEigen) at k = 1 — power iteration — to a relative
 * tolerance of 1e-4 over 10,000 MNIST digits, for the study's MLP shapes, at a point reached by one
 * epoch of Adam (a realistic, non-random spectrum). Wall clock (the solver reads the Gram matrix
 * back once per pass), with the HVP count and time per HVP. Beside it, in the same process on the
 * same point: the same solver with BLOCK_SIZE directions per pass, and Lanczos stopped by the same
 * settling rule (lanczos-top.ts) — their passes, time, speed-up and agreement with k = 1.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { train } from '../train/trainer';
import { hessianBlockOperator } from '../probe/block-operator';
import { blockEigen } from '../probe/block-eigen';
import { lanczosTop } from '../probe/lanczos-top';
import { BLOCK_SIZE } from '../study/config-schema';
import { markdownTable } from './harness';

export interface ProbeRow {
  widths: number[];
  samples: number;
  tol: number;
  lambdaMax: number;
  converged: boolean;
  residual: number;
  iterations: number;
  hvps: number;
  seconds: number;
  msPerHvp: number;
  /** Block subspace iteration at the same tol, same point. */
  block: { k: number; lambdaMax: number; converged: boolean; residual: number; passes: number; seconds: number; msPerPass: number; speedup: number; relDiff: number };
  /** Lanczos at the same tol (the same settling rule), same point; its HVPs include the residual's. */
  lanczos: { lambdaMax: number; converged: boolean; residual: number; hvps: number; seconds: number; msPerHvp: number; speedup: number; relDiff: number };
}

export async function benchProbe(gpu: Gpu, digits: Dataset, opts: { samples: number; shapes: number[][]; tol: number; chunkSize: number }): Promise<ProbeRow[]> {
  const subset = firstSamples(digits, opts.samples);
  const samples = subset.count;
  const data = GpuDataset.fromDataset(gpu, subset);
  const rows: ProbeRow[] = [];
  try {
    for (const widths of opts.shapes) {
      const model = await Mlp.create(gpu, { widths, activation: 'relu', seed: 0 });
      const trained = await train(model, data, { epochs: 1, batchSize: 128, optimizer: { kind: 'adam' }, seed: 0, evaluate: false, logEvery: 1000 });
      trained.optimizer.destroy();
      const timed = async (k: number) => {
        const op = await hessianBlockOperator(model, data, k, { chunkSize: opts.chunkSize });
        try {
          // One pass first so pipeline compilation is not timed.
          await blockEigen(op, { tol: 1, maxIter: 1, seed: 1 });
          const t0 = performance.now();
          const r = await blockEigen(op, { tol: opts.tol, maxIter: 1000, seed: 0 });
          const [top] = r.groups;
          return { r, top, seconds: (performance.now() - t0) / 1000, residual: top.residuals[0] / Math.abs(top.values[0]) };
        } finally {
          op.destroy();
        }
      };
      const one = await timed(1);
      const b = await timed(BLOCK_SIZE);
      const op = await hessianBlockOperator(model, data, 1, { chunkSize: opts.chunkSize });
      const lz = await (async () => {
        try {
          await lanczosTop(op, { tol: 1, maxSteps: 2, seed: 1 }); // compile outside the timing
          const t0 = performance.now();
          const r = await lanczosTop(op, { tol: opts.tol, seed: 0 });
          return { r, seconds: (performance.now() - t0) / 1000 };
        } finally {
          op.destroy();
        }
      })();
      model.destroy();
      const lambda = one.top.values[0];
      rows.push({
        widths, samples, tol: opts.tol, lambdaMax: lambda, converged: one.top.converged[0], residual: one.residual,
        iterations: one.r.iterations, hvps: one.r.hvps, seconds: one.seconds, msPerHvp: (1000 * one.seconds) / one.r.hvps,
        block: {
          k: BLOCK_SIZE, lambdaMax: b.top.values[0], converged: b.top.converged[0], residual: b.residual,
          passes: b.r.iterations, seconds: b.seconds, msPerPass: (1000 * b.seconds) / b.r.iterations,
          speedup: one.seconds / b.seconds, relDiff: Math.abs(b.top.values[0] - lambda) / Math.abs(lambda),
        },
        lanczos: {
          lambdaMax: lz.r.eigenvalue, converged: lz.r.converged, residual: lz.r.residual, hvps: lz.r.hvps, seconds: lz.seconds,
          msPerHvp: (1000 * lz.seconds) / lz.r.hvps, speedup: one.seconds / lz.seconds, relDiff: Math.abs(lz.r.eigenvalue - lambda) / Math.abs(lambda),
        },
      });
    }
  } finally {
    data.destroy();
  }
  return rows;
}

export function probeTable(rows: ProbeRow[]): string {
  return markdownTable(
    [['MLP', 'l'], ['samples', 'r'], ['method', 'l'], ['λmax', 'r'], ['converged', 'l'], ['residual', 'r'], ['passes', 'r'], ['HVPs', 'r'],
      ['seconds', 'r'], ['ms / pass', 'r'], ['speed-up', 'r'], ['|Δλ| / λ', 'r']],
    rows.flatMap((r) => [
      [r.widths.join('-'), String(r.samples), 'block k=1 (power)', r.lambdaMax.toFixed(4), r.converged ? 'yes' : 'no', r.residual.toExponential(2),
        String(r.hvps), String(r.hvps), r.seconds.toFixed(2), r.msPerHvp.toFixed(1), '1', ''],
      [r.widths.join('-'), String(r.samples), `block k=${r.block.k}`, r.block.lambdaMax.toFixed(4), r.block.converged ? 'yes' : 'no',
        r.block.residual.toExponential(2), String(r.block.passes), String(r.block.passes * r.block.k), r.block.seconds.toFixed(2),
        r.block.msPerPass.toFixed(1), r.block.speedup.toFixed(2), r.block.relDiff.toExponential(1)],
      [r.widths.join('-'), String(r.samples), 'Lanczos', r.lanczos.lambdaMax.toFixed(4), r.lanczos.converged ? 'yes' : 'no',
        r.lanczos.residual.toExponential(2), String(r.lanczos.hvps), String(r.lanczos.hvps), r.lanczos.seconds.toFixed(2),
        r.lanczos.msPerHvp.toFixed(1), r.lanczos.speedup.toFixed(2), r.lanczos.relDiff.toExponential(1)],
    ]),
  );
}
