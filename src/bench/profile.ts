/**
 * Per-dispatch profile of one gradient pass, one HVP and one block HVP (k = BLOCK_K): each compute
 * dispatch's kernel, GEMM shape, GPU time, share of the pass and GFLOP/s. Profiling only: the
 * prepared passes' dispatches are re-encoded one per compute pass, each with its own begin/end
 * timestamps (production encodes them all in one pass, and is untouched). Beside the dispatches'
 * sum it reports the span from the first begin to the last end (the gaps are launch and pass
 * overhead), the submission's wall clock, and the production pass's own time for comparison.
 */
import type { Dispatch, Gpu } from '../gpu/context';
import type { ChunkedPass } from '../autograd/chunked-pass';
import { Mlp } from '../autograd/mlp';
import { gemmCost } from '../autograd/cost';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { Tensor } from '../gpu/tensor';
import { gflops, markdownTable, submitTimed, summarise, timeGpu } from './harness';
import { BLOCK_K } from './hvp';

export interface DispatchProfile {
  /** Position in the pass's encoding order. */
  index: number;
  /** The pipeline's label (shader file:entry) and its overrides. */
  kernel: string;
  overrides: Record<string, number | boolean>;
  gemm?: { m: number; n: number; k: number; products: number; dual: boolean };
  medianMs: number;
  /** Of the dispatches' summed medians. */
  share: number;
  /** Counted FLOPs (GEMMs only, as cost.ts counts them; 0 elsewhere) and their rate. */
  flops: number;
  gflops: number;
}

export interface PassProfile {
  widths: number[];
  samples: number;
  pass: 'gradient' | 'hvp' | 'block';
  /** Directions (1 except the block pass). */
  k: number;
  /** Σ of the dispatches' medians. */
  dispatchMs: number;
  /** Median of first begin → last end timestamp: dispatchMs plus the gaps between dispatches. */
  spanMs: number;
  /** Median wall clock of the profiled submission (submit → onSubmittedWorkDone). */
  wallMs: number;
  /** The production encoding (one compute pass) timed by the harness. */
  passMs: number;
  gemmShare: number;
  dualFlops: number;
  plainFlops: number;
  dispatches: DispatchProfile[];
}

/** A dispatch and its split-K reduction become separate entries, each then profiled in its own compute pass. */
function flatten(dispatches: readonly Dispatch[]): Dispatch[] {
  return dispatches.flatMap((d) => [{ ...d, then: undefined }, ...flatten(d.then ?? [])]);
}

async function profilePass(gpu: Gpu, pass: ChunkedPass, repeats: number): Promise<Omit<PassProfile, 'widths' | 'samples' | 'pass' | 'k' | 'passMs'>> {
  if (!gpu.adapter.timestampQuery) throw new Error('the profile needs timestamp-query, which this adapter does not offer');
  const list = flatten(pass.dispatches);
  const count = 2 * list.length;
  const querySet = gpu.device.createQuerySet({ type: 'timestamp', count });
  const resolve = gpu.createBuffer({ size: 8 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const perDispatch: number[][] = list.map(() => []);
  const spans: number[] = [];
  const walls: number[] = [];
  const warmup = 2;
  try {
    for (let r = 0; r < warmup + repeats; r++) {
      const encoder = gpu.device.createCommandEncoder();
      for (const t of pass.clears) encoder.clearBuffer(t.buffer);
      list.forEach((d, i) => gpu.encode(encoder, [d], { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }));
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      const wall = await submitTimed(gpu, encoder);
      if (r < warmup) continue;
      const ticks = new BigUint64Array(await gpu.read(resolve));
      const ms = (a: number, b: number) => Number(ticks[b] - ticks[a]) / 1e6;
      list.forEach((_, i) => perDispatch[i].push(ms(2 * i, 2 * i + 1)));
      spans.push(ms(0, count - 1));
      walls.push(wall);
    }
  } finally {
    querySet.destroy();
    resolve.destroy();
  }
  const medians = perDispatch.map((s) => summarise(s, 'timestamp-query').medianMs);
  const dispatchMs = medians.reduce((a, b) => a + b, 0);
  let dualFlops = 0;
  let plainFlops = 0;
  let gemmMs = 0;
  const dispatches = list.map((d, i): DispatchProfile => {
    const g = d.gemm;
    const flops = g ? gemmCost(g.m, g.n, g.k, g.products).flops : 0;
    if (g?.dual) dualFlops += flops;
    else plainFlops += flops;
    if (g) gemmMs += medians[i];
    return {
      index: i, kernel: d.kernel.pipeline.label || `${d.kernel.spec.file}:${d.kernel.spec.entry}`, overrides: d.kernel.spec.overrides ?? {}, gemm: g,
      medianMs: medians[i], share: medians[i] / dispatchMs, flops, gflops: flops > 0 ? gflops(flops, medians[i]) : 0,
    };
  });
  return {
    dispatchMs, spanMs: summarise(spans, 'timestamp-query').medianMs, wallMs: summarise(walls, 'wall clock').medianMs,
    gemmShare: gemmMs / dispatchMs, dualFlops, plainFlops, dispatches,
  };
}

export async function benchProfile(gpu: Gpu, digits: Dataset, opts: { samples: number; shapes: number[][]; repeats: number }): Promise<PassProfile[]> {
  const subset = firstSamples(digits, opts.samples);
  const samples = subset.count;
  const data = GpuDataset.fromDataset(gpu, subset);
  const out: PassProfile[] = [];
  try {
    for (const widths of opts.shapes) {
      const model = await Mlp.create(gpu, { widths, activation: 'relu', seed: 0 });
      const P = model.layout.size;
      const wave = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const grad = model.vector();
      const v = model.vector();
      v.write(wave(P));
      const hv = model.vector();
      const V = Tensor.create(gpu, [BLOCK_K, P], { label: 'profile:V', data: wave(BLOCK_K * P) });
      const HV = Tensor.create(gpu, [BLOCK_K, P], { label: 'profile:HV' });
      const plans = [
        { pass: 'gradient', k: 1, plan: await model.preparePass({ kind: 'gradient', data, gradient: grad, chunkSize: samples }) },
        { pass: 'hvp', k: 1, plan: await model.preparePass({ kind: 'hvp', data, direction: v, product: hv, chunkSize: samples }) },
        { pass: 'block', k: BLOCK_K, plan: await model.prepareBlockPass({ data, directions: V, products: HV, chunkSize: samples }) },
      ] as const;
      try {
        for (const { pass, k, plan } of plans) {
          const production = await timeGpu(gpu, (enc) => plan.encode(enc), { repeats: opts.repeats });
          out.push({ widths, samples, pass, k, passMs: production.medianMs, ...await profilePass(gpu, plan.pass, opts.repeats) });
        }
      } finally {
        for (const { plan } of plans) plan.destroy();
        for (const t of [grad, v, hv, V, HV]) t.destroy();
        model.destroy();
      }
    }
  } finally {
    data.destroy();
  }
  return out;
}

/** The overrides that tell a matmul's variants apart (tile, transposes, tangent operands, epilogue), compactly. */
function variant(o: Record<string, number | boolean>): string {
  return Object.entries(o).filter(([, x]) => x !== false).map(([key, x]) => (x === true ? key : `${key}=${x}`)).join(' ');
}

function gemmLabel(g: DispatchProfile['gemm']): string {
  if (!g) return '';
  return `${g.m}×${g.n}×${g.k}${g.dual ? ` dual (${g.products} products)` : ''}`;
}

/** One summary row per pass, then each pass's dispatches sorted by time (the top `top`; all when omitted). */
export function profileTable(rows: PassProfile[], top?: number): string {
  const name = (r: PassProfile) => `${r.widths.join('-')} ${r.pass}${r.pass === 'block' ? ` k=${r.k}` : ''}`;
  const summary = markdownTable(
    [['pass', 'l'], ['dispatches', 'r'], ['Σ dispatch ms', 'r'], ['span ms', 'r'], ['wall ms', 'r'], ['production ms', 'r'],
      ['GEMM share', 'r'], ['dual GFLOP', 'r'], ['plain GFLOP', 'r'], ['GFLOP/s', 'r']],
    rows.map((r) => [name(r), String(r.dispatches.length), r.dispatchMs.toFixed(2), r.spanMs.toFixed(2), r.wallMs.toFixed(2), r.passMs.toFixed(2),
      `${(100 * r.gemmShare).toFixed(1)} %`, (r.dualFlops / 1e9).toFixed(3), (r.plainFlops / 1e9).toFixed(3),
      gflops(r.dualFlops + r.plainFlops, r.dispatchMs).toFixed(2)]),
  );
  const detail = rows.map((r) => {
    const sorted = [...r.dispatches].sort((a, b) => b.medianMs - a.medianMs).slice(0, top);
    return `${name(r)}, ${r.samples} rows:\n` + markdownTable(
      [['#', 'r'], ['kernel', 'l'], ['overrides', 'l'], ['GEMM M×N×K', 'l'], ['ms', 'r'], ['share', 'r'], ['GFLOP/s', 'r']],
      sorted.map((d) => [String(d.index), d.kernel, variant(d.overrides), gemmLabel(d.gemm), d.medianMs.toFixed(3),
        `${(100 * d.share).toFixed(1)} %`, d.flops > 0 ? d.gflops.toFixed(2) : '']),
    );
  });
  return [summary, ...detail].join('\n\n');
}
