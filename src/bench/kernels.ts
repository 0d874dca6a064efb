/**
 * Per-kernel-family throughput: matmul variants (study shapes and large squares, plain and
 * dual), elementwise, softmax-CE, reductions and optimiser updates — each timed on its own after
 * warm-up, with GFLOP/s and GB/s from counted work and the fraction of the stated roofline.
 */
import type { Dispatch, Gpu } from '../gpu/context';
import { releaseDispatches } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { matmulTuning, prepareMatmul, type MatmulTile } from '../gpu/ops/matmul';
import { DIRECT_BLOCK, adapterText, checkTile, describeTile, directRows, productClass, type TileEntry } from '../gpu/ops/matmul-tiles';
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

interface GemmShape { name: string; m: number; n: number; k: number; ta: boolean; tb: boolean; dual: boolean }

/**
 * The study MLPs' GEMMs over one chunk of `rows`: forward NT (as stored, W is n_out × n_in) and the
 * NN product the passes run on the transposed copy Wᵀ (block-forward.ts), weight-gradient TN
 * (K = rows), δ propagation NN; the HVP's dual twins.
 */
export function MLP_SHAPES(rows: number): GemmShape[] {
  const out: GemmShape[] = [
    { name: `forward NN on Wᵀ ${rows}×64×784`, m: rows, n: 64, k: 784, ta: false, tb: false, dual: false },
    { name: `forward NN on Wᵀ ${rows}×10×256`, m: rows, n: 10, k: 256, ta: false, tb: false, dual: false },
  ];
  for (const dual of [false, true]) {
    const d = dual ? 'dual ' : '';
    out.push(
      { name: `${d}forward NT ${rows}×64×784`, m: rows, n: 64, k: 784, ta: false, tb: true, dual },
      { name: `${d}forward NT ${rows}×10×256`, m: rows, n: 10, k: 256, ta: false, tb: true, dual },
      { name: `${d}weight-grad TN 64×784×${rows}`, m: 64, n: 784, k: rows, ta: true, tb: false, dual },
      { name: `${d}weight-grad TN 10×256×${rows}`, m: 10, n: 256, k: rows, ta: true, tb: false, dual },
      { name: `${d}delta NN ${rows}×256×256`, m: rows, n: 256, k: 256, ta: false, tb: false, dual },
      { name: `${d}delta NN ${rows}×64×10`, m: rows, n: 64, k: 10, ta: false, tb: false, dual },
    );
  }
  return out;
}

export async function benchKernels(gpu: Gpu, opts: { repeats: number; large: number[]; roof: Roofline; batch: number; chunk: number }): Promise<KernelRow[]> {
  const B = opts.batch;
  const P = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10;
  const builders: (() => Promise<Case>)[] = [
    () => matmulCase(gpu, `forward NT ${B}×256×784`, B, 256, 784, false, true, false),
    () => matmulCase(gpu, `forward NN on Wᵀ ${B}×256×784`, B, 256, 784, false, false, false),
    () => matmulCase(gpu, `weight-grad TN 256×784×${B}`, 256, 784, B, true, false, false),
    () => matmulCase(gpu, `delta NN ${B}×256×256`, B, 256, 256, false, false, false),
    () => matmulCase(gpu, `dual forward NT ${B}×256×256`, B, 256, 256, false, true, true),
    ...MLP_SHAPES(opts.chunk).map((c) => () => matmulCase(gpu, c.name, c.m, c.n, c.k, c.ta, c.tb, c.dual)),
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

/** Tiles the sweep tries: the staged kernel at two depths, the direct kernel at two widths (64 lanes lost every shape on lavapipe). */
const CANDIDATES: MatmulTile[] = [
  { wgM: 16, wgN: 16, tileK: 32 }, { wgM: 16, wgN: 16, tileK: 16 },
  { variant: 'direct', wgM: 1, wgN: 16, tileK: 1 }, { variant: 'direct', wgM: 1, wgN: 32, tileK: 1 },
  { variant: 'direct', rows: 4, wgM: 1, wgN: 32, tileK: 1 },
];

export interface TuneResult {
  adapter: string;
  rows: number;
  /** Per product class: every candidate's summed median time over the class's shapes, best first. */
  classes: Record<string, { tile: MatmulTile; ms: number; gflops: number }[]>;
  entry: TileEntry;
}

/**
 * Matmul tile sweep: for each product class (nn/nt/tn, plain and dual) the MLP shapes over a chunk
 * of `rows` (plus the square sizes for the default), every candidate tile timed; the winner per
 * class, summed over its shapes, goes into a table entry for this adapter.
 */
export async function tuneMatmul(gpu: Gpu, opts: { rows: number; squares: number[]; repeats: number }): Promise<TuneResult> {
  const { shipped } = await matmulTuning(gpu);
  const shapes = [
    ...MLP_SHAPES(opts.rows),
    ...opts.squares.map((s) => ({ name: `NN ${s}³`, m: s, n: s, k: s, ta: false, tb: false, dual: false, square: true })),
  ];
  const groups = new Map<string, GemmShape[]>();
  for (const sh of shapes) {
    const cls = 'square' in sh ? 'default' : productClass(sh.ta, sh.tb, sh.dual);
    groups.set(cls, [...(groups.get(cls) ?? []), sh]);
  }
  const classes: TuneResult['classes'] = {};
  for (const [cls, list] of groups) {
    const results: { tile: MatmulTile; ms: number; gflops: number }[] = [];
    // Dual classes skip the direct kernel's 8-row block: its 128 accumulators take LLVM seconds per pipeline on lavapipe.
    for (const tile of list[0].dual ? CANDIDATES.filter((t) => t.variant !== 'direct' || directRows(t) < DIRECT_BLOCK) : CANDIDATES) {
      try {
        checkTile(gpu.limits, tile, list[0].dual, list[0].dual, 'tune candidate');
      } catch {
        continue;
      }
      let ms = 0;
      let flops = 0;
      for (const sh of list) {
        const c = await matmulCase(gpu, 'tune', sh.m, sh.n, sh.k, sh.ta, sh.tb, sh.dual, tile);
        try {
          const t = await timeGpu(gpu, (enc) => gpu.encode(enc, c.dispatches), { repeats: opts.repeats, warmup: 1 });
          ms += t.medianMs;
          flops += c.flops;
        } finally {
          releaseDispatches(c.dispatches);
          for (const t of c.tensors) t.destroy();
        }
      }
      results.push({ tile, ms, gflops: gflops(flops, ms) });
    }
    classes[cls] = results.sort((a, b) => a.ms - b.ms);
  }
  const tiles = Object.fromEntries(Object.entries(classes).map(([cls, r]) => [cls, r[0].tile]));
  const entry: TileEntry = {
    name: `tuned: ${gpu.adapter.description}`,
    pattern: escapeRegExp(adapterText(gpu.adapter)),
    tiles: { ...tiles, default: tiles.default ?? shipped.tiles.default },
    splitK: shipped.splitK,
  };
  return { adapter: adapterText(gpu.adapter), rows: opts.rows, classes, entry };
}

function escapeRegExp(s: string): string {
  return `^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

export function tuneTable(r: TuneResult): string {
  return markdownTable(
    [['class', 'l'], ['tile', 'l'], ['summed median ms', 'r'], ['GFLOP/s', 'r']],
    Object.entries(r.classes).flatMap(([cls, list]) => list.map((x, i) => [i === 0 ? `**${cls}**` : cls, describeTile(x.tile), x.ms.toFixed(2), x.gflops.toFixed(2)])),
  );
}

export function kernelTable(rows: KernelRow[]): string {
  return markdownTable(
    [['family', 'l'], ['kernel', 'l'], ['median ms', 'r'], ['IQR/median', 'r'], ['GFLOP/s', 'r'], ['GB/s', 'r'], ['of roofline', 'r']],
    rows.map((r) => [r.family, r.name, r.timing.medianMs.toFixed(3), r.timing.relativeIqr.toFixed(2), r.gflops.toFixed(2),
      r.gbps.toFixed(2), `${(100 * r.rooflineFraction).toFixed(1)}%`]),
  );
}
