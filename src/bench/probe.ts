/**
 * Time to λmax: power iteration to a relative tolerance of 1e-4 over 10,000 MNIST digits, for the
 * study's MLP shapes, at a point reached by one epoch of Adam (a realistic, non-random spectrum).
 * Wall clock (the solver reads λ back once per check), with the HVP count and time per HVP.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { train } from '../train/trainer';
import { hessianOperator } from '../probe/operator';
import { topEigenvalue } from '../probe/power';
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
      const warm = await topEigenvalue(op, { tol: 1, maxIter: 1, seed: 1 });
      warm.vector.destroy();
      const t0 = performance.now();
      const r = await topEigenvalue(op, { tol: opts.tol, maxIter: 1000, seed: 0 });
      const seconds = (performance.now() - t0) / 1000;
      r.vector.destroy();
      op.destroy();
      model.destroy();
      rows.push({
        widths, samples, tol: opts.tol, lambdaMax: r.eigenvalue, converged: r.converged, residual: r.residual,
        iterations: r.iterations, hvps: r.hvps, seconds, msPerHvp: (1000 * seconds) / r.hvps,
      });
    }
  } finally {
    data.destroy();
  }
  return rows;
}

export function probeTable(rows: ProbeRow[]): string {
  return markdownTable(
    [['MLP', 'l'], ['samples', 'r'], ['λmax', 'r'], ['converged', 'l'], ['residual', 'r'], ['HVPs', 'r'], ['seconds', 'r'], ['ms / HVP', 'r']],
    rows.map((r) => [r.widths.join('-'), String(r.samples), r.lambdaMax.toFixed(4), r.converged ? 'yes' : 'no', r.residual.toExponential(2),
      String(r.hvps), r.seconds.toFixed(2), r.msPerHvp.toFixed(1)]),
  );
}
