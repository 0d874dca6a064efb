/** Small random problems shared by the autograd and probe tests. */
import type { Gpu } from '../../src/gpu/context';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { Mlp } from '../../src/autograd/mlp';
import type { Activation, RefBatch, RefOptions } from '../../src/autograd/reference';
import { Rng } from '../../src/util/rng';
import { randomNormal } from './random';

export interface Problem {
  model: Mlp;
  data: GpuDataset;
  batch: RefBatch;
  ref: RefOptions;
  params: Float32Array;
}

export async function makeProblem(gpu: Gpu, widths: number[], activation: Activation, count: number, seed: number): Promise<Problem> {
  const model = await Mlp.create(gpu, { widths, activation, seed });
  const x = randomNormal(count * widths[0], seed + 1);
  const rng = new Rng(seed + 2);
  const classes = widths[widths.length - 1];
  const labels = Uint32Array.from({ length: count }, () => rng.int(classes));
  const data = GpuDataset.fromFloats(gpu, x, labels, widths[0], classes);
  const params = await model.getParams();
  return { model, data, batch: { x, labels, count }, ref: { widths, activation }, params };
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
