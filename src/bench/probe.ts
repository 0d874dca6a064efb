/**
 * Time to λmax: power iteration to a relative tolerance of 1e-4 over 10,000 MNIST digits, for the
 * study's MLP shapes, at a point reached by one epoch of Adam (a realistic, non-random spectrum).
 * Wall clock (the solver reads λ back once per check), with the HVP count and time per HVP.
 * Beside it, in the same process on the same point: block subspace iteration (blockEigen) with
 * BLOCK_SIZE directions per pass — its passes, time, speed-up and agreement with power iteration.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { train } from '../train/trainer';
import { hessianOperator } from '../probe/operator';
import { topEigenvalue } from '../probe/power';
import { hessianBlockOperator } from '../probe/block-operator';
import { blockEigen } from '../probe/block-eigen';
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
      const op = await hessianOperator(model, data, { chunkSize: opts.chunkSize });
      // One HVP first so pipeline compilation is not timed.
      await topEigenvalue(op, { tol: 1, maxIter: 1, seed: 1 });
      const t0 = performance.now();
      const r = await topEigenvalue(op, { tol: opts.tol, maxIter: 1000, seed: 0 });
      const seconds = (performance.now() - t0) / 1000;
      op.destroy();
      const blockOp = await hessianBlockOperator(model, data, BLOCK_SIZE, { chunkSize: opts.chunkSize });
      await blockEigen(blockOp, { tol: 1, maxIter: 1, seed: 1 });
      const t1 = performance.now();
      const b = await blockEigen(blockOp, { tol: opts.tol, maxIter: 1000, seed: 0 });
      const blockSeconds = (performance.now() - t1) / 1000;
      blockOp.destroy();
      model.destroy();
      const [top] = b.groups;
      rows.push({
        widths, samples, tol: opts.tol, lambdaMax: r.eigenvalue, converged: r.converged, residual: r.residual,
        iterations: r.iterations, hvps: r.hvps, seconds, msPerHvp: (1000 * seconds) / r.hvps,
        block: {
          k: BLOCK_SIZE, lambdaMax: top.values[0], converged: top.converged[0], residual: top.residuals[0] / Math.abs(top.values[0]),
          passes: b.iterations, seconds: blockSeconds, msPerPass: (1000 * blockSeconds) / b.iterations,
          speedup: seconds / blockSeconds, relDiff: Math.abs(top.values[0] - r.eigenvalue) / Math.abs(r.eigenvalue),
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
      [r.widths.join('-'), String(r.samples), 'power', r.lambdaMax.toFixed(4), r.converged ? 'yes' : 'no', r.residual.toExponential(2),
        String(r.hvps), String(r.hvps), r.seconds.toFixed(2), r.msPerHvp.toFixed(1), '1', ''],
      [r.widths.join('-'), String(r.samples), `block k=${r.block.k}`, r.block.lambdaMax.toFixed(4), r.block.converged ? 'yes' : 'no',
        r.block.residual.toExponential(2), String(r.block.passes), String(r.block.passes * r.block.k), r.block.seconds.toFixed(2),
        r.block.msPerPass.toFixed(1), r.block.speedup.toFixed(2), r.block.relDiff.toExponential(1)],
    ]),
  );
}
