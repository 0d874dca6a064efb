/**
 * Training throughput: samples per second of the full GPU training loop (gather, forward,
 * backward, optimiser update, one submit per step), timed by wall clock over whole epochs
 * after a warm-up epoch, so it includes the host's per-step encoding cost.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { train } from '../train/trainer';
import { markdownTable, summarise, type Timing } from './harness';

export interface TrainRow {
  widths: number[];
  batchSize: number;
  optimizer: string;
  stepsPerRun: number;
  epoch: Timing;
  samplesPerSecond: number;
}

export async function benchTrain(gpu: Gpu, digits: Dataset, opts: { samples: number; shapes: number[][]; batchSizes: number[]; repeats: number }): Promise<TrainRow[]> {
  const data = GpuDataset.fromDataset(gpu, firstSamples(digits, opts.samples));
  const rows: TrainRow[] = [];
  try {
    for (const widths of opts.shapes) {
      for (const batchSize of opts.batchSizes) {
        const model = await Mlp.create(gpu, { widths, activation: 'relu', seed: 0 });
        const times: number[] = [];
        let steps = 0;
        for (let r = 0; r < opts.repeats + 1; r++) {
          const t0 = performance.now();
          const result = await train(model, data, { epochs: 1, batchSize, optimizer: { kind: 'adam' }, seed: r, logEvery: 1_000_000, evaluate: false });
          await gpu.sync();
          if (r > 0) times.push(performance.now() - t0);
          steps = result.steps;
          result.optimizer.destroy();
        }
        const epoch = summarise(times, 'wall clock');
        rows.push({ widths, batchSize, optimizer: 'adam', stepsPerRun: steps, epoch, samplesPerSecond: (steps * batchSize) / (epoch.medianMs / 1000) });
        model.destroy();
      }
    }
  } finally {
    data.destroy();
  }
  return rows;
}

export function trainTable(rows: TrainRow[]): string {
  return markdownTable(
    [['MLP', 'l'], ['batch', 'r'], ['steps', 'r'], ['epoch ms (median)', 'r'], ['samples/s', 'r']],
    rows.map((r) => [r.widths.join('-'), String(r.batchSize), String(r.stepsPerRun), r.epoch.medianMs.toFixed(1), String(Math.round(r.samplesPerSecond))]),
  );
}
