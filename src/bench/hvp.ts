/**
 * The composites over the same data, for the study's MLP shapes: one forward pass (loss), one
 * gradient and one Hessian-vector product — median times, GFLOP/s, GB/s and the HVP/gradient
 * ratio (target ≤ 2.0), with the HVP timed in both tangent-product forms of its backward (the
 * adapter's, which the ratio uses, and the other: how a table entry's choice is measured). And the block pass (hvpBlock, k directions in one pass over the data):
 * its time per direction as a fraction of one single HVP, timed in the same process.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { passCost } from '../autograd/cost';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { Tensor } from '../gpu/tensor';
import { tangentProductsFor, type TangentProducts } from '../gpu/ops/matmul';
import { gbps, gflops, markdownTable, maxRelErr, timeGpu, type Timing } from './harness';

/** Directions per block pass in the block row. */
export const BLOCK_K = 16;

export interface HvpRow {
  widths: number[];
  samples: number;
  forward: Timing & { gflops: number; gbps: number };
  gradient: Timing & { gflops: number; gbps: number };
  hvp: Timing & { gflops: number; gbps: number };
  ratio: number;
  /** The adapter's tangent-product form (the `hvp` row), and the HVP in the other form. */
  form: TangentProducts;
  other: { form: TangentProducts; medianMs: number };
  /** hvpBlock with k directions: its median time, and per direction as a fraction of one HVP. */
  block: { k: number; medianMs: number; perDirection: number };
}

export async function benchHvp(gpu: Gpu, digits: Dataset, opts: { samples: number; shapes: number[][]; repeats: number }): Promise<HvpRow[]> {
  const subset = firstSamples(digits, opts.samples);
  const samples = subset.count;
  const data = GpuDataset.fromDataset(gpu, subset);
  const rows: HvpRow[] = [];
  try {
    for (const widths of opts.shapes) {
      const model = await Mlp.create(gpu, { widths, activation: 'relu', seed: 0 });
      const grad = model.vector();
      const v = model.vector();
      v.write(Float32Array.from({ length: model.layout.size }, (_, i) => Math.sin(i)));
      const hv = model.vector();
      const lossPlan = await model.preparePass({ kind: 'loss', data, chunkSize: samples });
      const gradPlan = await model.preparePass({ kind: 'gradient', data, gradient: grad, chunkSize: samples });
      const form = await tangentProductsFor(gpu);
      const otherForm: TangentProducts = form === 'split' ? 'dual' : 'split';
      const hvpPlan = await model.preparePass({ kind: 'hvp', data, direction: v, product: hv, chunkSize: samples });
      const otherPlan = await model.preparePass({ kind: 'hvp', data, direction: v, product: hv, chunkSize: samples, tangentProducts: otherForm });
      await checkSameProduct(gpu, hvpPlan, otherPlan, hv, widths);
      const time = async (plan: typeof gradPlan, pass: 'forward' | 'gradient' | 'hvp') => {
        const t = await timeGpu(gpu, (enc) => plan.encode(enc, gpu), { repeats: opts.repeats });
        const c = passCost(widths, samples, pass);
        return { ...t, gflops: gflops(c.flops, t.medianMs), gbps: gbps(c.bytes, t.medianMs) };
      };
      const f = await time(lossPlan, 'forward');
      const g = await time(gradPlan, 'gradient');
      const h = await time(hvpPlan, 'hvp');
      const other = await timeGpu(gpu, (enc) => otherPlan.encode(enc), { repeats: opts.repeats });
      const P = model.layout.size;
      const V = Tensor.create(gpu, [BLOCK_K, P], { label: 'bench:V', data: Float32Array.from({ length: BLOCK_K * P }, (_, i) => Math.sin(i)) });
      const HV = Tensor.create(gpu, [BLOCK_K, P], { label: 'bench:HV' });
      const blockPlan = await model.prepareBlockPass({ data, directions: V, products: HV, chunkSize: samples });
      const b = await timeGpu(gpu, (enc) => blockPlan.encode(enc), { repeats: opts.repeats });
      blockPlan.destroy();
      V.destroy();
      HV.destroy();
      rows.push({
        widths, samples, forward: f, gradient: g, hvp: h, ratio: h.medianMs / g.medianMs,
        form, other: { form: otherForm, medianMs: other.medianMs },
        block: { k: BLOCK_K, medianMs: b.medianMs, perDirection: b.medianMs / BLOCK_K / h.medianMs },
      });
      lossPlan.destroy();
      gradPlan.destroy();
      hvpPlan.destroy();
      otherPlan.destroy();
      for (const t of [grad, v, hv]) t.destroy();
      model.destroy();
    }
  } finally {
    data.destroy();
  }
  return rows;
}

/** The two forms must agree (to float32 rounding) before either is timed. */
async function checkSameProduct(gpu: Gpu, a: { encode(e: GPUCommandEncoder): void }, b: typeof a, hv: Tensor, widths: number[]): Promise<void> {
  gpu.submit((enc) => a.encode(enc));
  const x = await hv.read();
  gpu.submit((enc) => b.encode(enc));
  const err = maxRelErr(await hv.read(), x);
  if (!(err <= 1e-4)) throw new Error(`bench hvp ${widths.join('-')}: the two tangent-product forms differ by ${err} of the product's scale`);
}

export function hvpTable(rows: HvpRow[]): string {
  return markdownTable(
    [['MLP', 'l'], ['samples', 'r'], ['forward ms', 'r'], ['gradient ms', 'r'], ['GFLOP/s', 'r'], ['HVP ms', 'r'], ['GFLOP/s', 'r'], ['HVP / gradient', 'r'], ['backward form', 'l'], ['HVP, other form ms', 'r'],
      [`block k=${BLOCK_K} ms`, 'r'], ['per direction / HVP', 'r']],
    rows.map((r) => [r.widths.join('-'), String(r.samples), r.forward.medianMs.toFixed(2), r.gradient.medianMs.toFixed(2),
      r.gradient.gflops.toFixed(2), r.hvp.medianMs.toFixed(2), r.hvp.gflops.toFixed(2), r.ratio.toFixed(2), r.form, r.other.medianMs.toFixed(2),
      r.block.medianMs.toFixed(2), r.block.perDirection.toFixed(3)]),
  );
}
