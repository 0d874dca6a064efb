/**
 * Per-kernel-family throughput: matmul variants (study shapes and large squares, plain and
 * dual), elementwise, softmax-CE, reductions and optimiser updates — each timed on its own after
 * warm-up, with GFLOP/s and GB/s from counted work and the fraction of the stated roofline.
 */
import type { Dispatch, Gpu } from '../gpu/context';
import { releaseDispatches } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareMatmul, tileBytes, type MatmulTile } from '../gpu/ops/matmul';
import { prepareActivate, prepareAxpby } from '../gpu/ops/elementwise';
import { prepareReduce } from '../gpu/ops/reduce';
import { prepareSoftmaxCe } from '../gpu/ops/softmax-ce';
import { Optimizer } from '../optim/optimizer';
import { gbps, gflops, markdownTable, timeGpu, type Timing } from './harness';
import type { Roofline } from './roofline';

export interface KernelRow {
  family: string;
  name: string;
  timing: Timing;
  gflops: number;
  gbps: number;
  /** Of the roofline: min(peak FLOP/s, intensity × peak bandwidth). */
  rooflineFraction: number;
}

interface Case {
  family: string;
  name: string;
  flops: number;
  bytes: number;
  dispatches: Dispatch[];
  tensors: Tensor[];
  extra?: () => void;
  record?: (encoder: GPUCommandEncoder) => void;
}

const filled = (gpu: Gpu, n: number, label: string) =>
  Tensor.create(gpu, [n], { label, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)) });

async function matmulCase(gpu: Gpu, name: string, m: number, n: number, k: number, ta: boolean, tb: boolean, dual: boolean, tile?: MatmulTile): Promise<Case> {
  const a = filled(gpu, m * k, 'a');
  const b = filled(gpu, k * n, 'b');
  const c = Tensor.create(gpu, [m * n], { label: 'c' });
  const tensors = [a, b, c];
  let dots = {};
  if (dual) {
    const ad = filled(gpu, m * k, 'ad');
    const bd = filled(gpu, k * n, 'bd');
    const cd = Tensor.create(gpu, [m * n], { label: 'cd' });
    tensors.push(ad, bd, cd);
    dots = { ad, bd, cd };
  }
  const d = dots as { ad?: Tensor; bd?: Tensor; cd?: Tensor };
  const dispatch = await prepareMatmul(gpu, {
    m, n, k, tile,
    a: { buffer: a, transpose: ta, dot: d.ad }, b: { buffer: b, transpose: tb, dot: d.bd }, out: { buffer: c, dot: d.cd },
  });
  const products = dual ? 3 : 1;
  return {
    family: dual ? 'matmul-dual' : 'matmul', name, dispatches: [dispatch], tensors,
    flops: 2 * m * n * k * products, bytes: 4 * ((m * k + k * n) * (dual ? 2 : 1) + m * n * (dual ? 2 : 1)),
  };
}

export async function benchKernels(gpu: Gpu, opts: { repeats: number; large: number[]; roof: Roofline; batch: number }): Promise<KernelRow[]> {
  const B = opts.batch;
  const P = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10;
  const builders: (() => Promise<Case>)[] = [
    () => matmulCase(gpu, `forward NT ${B}×256×784`, B, 256, 784, false, true, false),
    () => matmulCase(gpu, `weight-grad TN 256×784×${B}`, 256, 784, B, true, false, false),
    () => matmulCase(gpu, `delta NN ${B}×256×256`, B, 256, 256, false, false, false),
    () => matmulCase(gpu, `dual forward NT ${B}×256×256`, B, 256, 256, false, true, true),
    ...opts.large.map((s) => () => matmulCase(gpu, `NN ${s}³`, s, s, s, false, false, false)),
    async () => {
      const n = 4 * 1024 * 1024;
      const x = filled(gpu, n, 'x');
      const y = Tensor.create(gpu, [n], { label: 'y' });
      return { family: 'elementwise', name: `gelu ${n}`, flops: 20 * n, bytes: 8 * n, dispatches: [await prepareActivate(gpu, n, 'gelu', 0, { buffer: x }, { buffer: y })], tensors: [x, y] };
    },
    async () => {
      const n = 4 * 1024 * 1024;
      const x = filled(gpu, n, 'x');
      const y = filled(gpu, n, 'y');
      return { family: 'elementwise', name: `axpby ${n}`, flops: 3 * n, bytes: 12 * n, dispatches: [await prepareAxpby(gpu, n, 0.5, { buffer: x }, 0.9, { buffer: y })], tensors: [x, y] };
    },
    async () => {
      const n = 4 * 1024 * 1024;
      const x = filled(gpu, n, 'x');
      const y = filled(gpu, n, 'y');
      const out = Tensor.create(gpu, [4], { label: 'out' });
      return { family: 'reduce', name: `dot ${n}`, flops: 2 * n, bytes: 8 * n, dispatches: await prepareReduce(gpu, { kind: 'dot', n, x: { buffer: x }, y: { buffer: y }, out, slot: 0 }), tensors: [x, y, out] };
    },
    async () => {
      const rows = 8 * B;
      const z = filled(gpu, rows * 10, 'z');
      const labels = Tensor.create(gpu, [rows], { dtype: 'u32', data: Uint32Array.from({ length: rows }, (_, i) => i % 10) });
      const stats = Tensor.create(gpu, [2 * rows], { label: 'stats' });
      const delta = Tensor.create(gpu, [rows * 10], { label: 'delta' });
      return {
        family: 'softmax-ce', name: `${rows}×10 loss + δ`, flops: rows * 10 * 8, bytes: 4 * (rows * 10 * 2 + rows * 3),
        dispatches: [await prepareSoftmaxCe(gpu, { rows, classes: 10, logits: z, labels, stats, delta, scale: 1 / rows })], tensors: [z, labels, stats, delta],
      };
    },
    async () => {
      const params = filled(gpu, P, 'params');
      const grad = filled(gpu, P, 'grad');
      const opt = await Optimizer.create(gpu, { kind: 'adam' }, params, grad);
      return {
        family: 'optimizer', name: `adam ${P} params`, flops: 12 * P, bytes: 4 * 7 * P, dispatches: [], tensors: [params, grad],
        record: (enc) => opt.encodeStep(enc), extra: () => opt.destroy(),
      };
    },
  ];
  const rows: KernelRow[] = [];
  for (const build of builders) {
    const c = await build();
    try {
      const timing = await timeGpu(gpu, c.record ?? ((enc) => gpu.encode(enc, c.dispatches)), { repeats: opts.repeats });
      rows.push(row(c.family, c.name, c.flops, c.bytes, timing, opts.roof));
    } finally {
      releaseDispatches(c.dispatches);
      c.extra?.();
      for (const t of c.tensors) t.destroy();
    }
  }
  return rows;
}

export function row(family: string, name: string, flops: number, bytes: number, timing: Timing, roof: Roofline): KernelRow {
  const gf = gflops(flops, timing.medianMs);
  const attainable = Math.min(roof.peakGflops, (flops / bytes) * roof.peakGBps);
  return { family, name, timing, gflops: gf, gbps: gbps(bytes, timing.medianMs), rooflineFraction: gf / attainable };
}

/** Matmul tile sweep over the override constants; returns every candidate and the best. */
export async function tuneMatmul(gpu: Gpu, size: number, repeats: number): Promise<{ tile: MatmulTile; ms: number; gflops: number }[]> {
  const storage = gpu.limits.maxComputeWorkgroupStorageSize;
  const maxThreads = gpu.limits.maxComputeInvocationsPerWorkgroup;
  const out: { tile: MatmulTile; ms: number; gflops: number }[] = [];
  for (const wgM of [8, 16, 32]) {
    for (const wgN of [8, 16, 32]) {
      for (const tileK of [8, 16, 32]) {
        const tile = { wgM, wgN, tileK };
        // Plain kernels stage A and B tiles: (4·wgM + 4·wgN)·tileK floats.
        if (wgM * wgN > maxThreads || tileBytes(tile, false, false) > storage) continue;
        const c = await matmulCase(gpu, 'tune', size, size, size, false, false, false, tile);
        try {
          const t = await timeGpu(gpu, (enc) => gpu.encode(enc, c.dispatches), { repeats, warmup: 1 });
          out.push({ tile, ms: t.medianMs, gflops: gflops(c.flops, t.medianMs) });
        } finally {
          releaseDispatches(c.dispatches);
          for (const t of c.tensors) t.destroy();
        }
      }
    }
  }
  return out.sort((a, b) => a.ms - b.ms);
}

export function kernelTable(rows: KernelRow[]): string {
  return markdownTable(
    [['family', 'l'], ['kernel', 'l'], ['median ms', 'r'], ['IQR/median', 'r'], ['GFLOP/s', 'r'], ['GB/s', 'r'], ['of roofline', 'r']],
    rows.map((r) => [r.family, r.name, r.timing.medianMs.toFixed(3), r.timing.relativeIqr.toFixed(2), r.gflops.toFixed(2),
      r.gbps.toFixed(2), `${(100 * r.rooflineFraction).toFixed(1)}%`]),
  );
}
