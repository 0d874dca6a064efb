/**
 * Benchmark timing: warm up, repeat, report the median and spread. GPU time comes from
 * timestamp queries around the work when the adapter has them; otherwise wall clock around
 * submit + onSubmittedWorkDone, and the result says so. Pipeline compilation happens in the
 * warm-up runs and readbacks are never inside the timed region.
 */
import type { Gpu } from '../gpu/context';

export interface TimingOptions {
  warmup?: number;
  repeats?: number;
}

export interface Timing {
  method: 'timestamp-query' | 'wall clock';
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Interquartile range over the median, a unitless spread. */
  relativeIqr: number;
  samplesMs: number[];
}

export async function timeGpu(gpu: Gpu, record: (encoder: GPUCommandEncoder) => void, options: TimingOptions = {}): Promise<Timing> {
  const warmup = options.warmup ?? 2;
  const repeats = options.repeats ?? 7;
  const useQueries = gpu.adapter.timestampQuery;
  const querySet = useQueries ? gpu.device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
  const resolve = useQueries ? gpu.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : null;
  const samples: number[] = [];
  try {
    for (let r = 0; r < warmup + repeats; r++) {
      // Its own encoder rather than gpu.submit: the timed window opens after recording, at finish().
      const encoder = gpu.device.createCommandEncoder();
      if (querySet) encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0 } }).end();
      record(encoder);
      if (querySet) encoder.beginComputePass({ timestampWrites: { querySet, endOfPassWriteIndex: 1 } }).end();
      if (querySet && resolve) encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      const wall = await submitTimed(gpu, encoder);
      if (r < warmup) continue;
      if (resolve) {
        const ticks = new BigUint64Array(await gpu.read(resolve));
        const ns = Number(ticks[1] - ticks[0]);
        // Some drivers report zero or wrapped timestamps; fall back to the wall clock for that sample.
        samples.push(ns > 0 ? ns / 1e6 : wall);
      } else {
        samples.push(wall);
      }
    }
  } finally {
    querySet?.destroy();
    resolve?.destroy();
  }
  return summarise(samples, useQueries ? 'timestamp-query' : 'wall clock');
}

/** Submits a recorded encoder and waits for the GPU: the wall-clock ms from finish() to done (device loss raised). */
export async function submitTimed(gpu: Gpu, encoder: GPUCommandEncoder): Promise<number> {
  const t0 = performance.now();
  gpu.device.queue.submit([encoder.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
  const wall = performance.now() - t0;
  gpu.assertAlive();
  return wall;
}

export function summarise(samplesMs: number[], method: Timing['method']): Timing {
  const s = [...samplesMs].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
  };
  const median = q(0.5);
  return { method, medianMs: median, minMs: s[0], maxMs: s[s.length - 1], relativeIqr: (q(0.75) - q(0.25)) / median, samplesMs };
}

/**
 * A markdown table. Columns are [header, align]: 'l' text, 'r' numbers. Cells are already formatted;
 * a row with fewer cells than columns is padded (e.g. an "unavailable" note spanning the rest).
 */
export function markdownTable(columns: [string, 'l' | 'r'][], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const pad = (cells: string[]) => [...cells, ...Array<string>(Math.max(0, columns.length - cells.length)).fill('')];
  return [
    line(columns.map(([h]) => h)),
    line(columns.map(([, a]) => (a === 'r' ? '---:' : '---'))),
    ...rows.map((r) => line(pad(r))),
  ].join('\n');
}

export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

export function gbps(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

/** max |theirs − ours| / max |ours|: one number per result, insensitive to entries near zero. */
export function maxRelErr(theirs: ArrayLike<number>, ours: ArrayLike<number>): number {
  if (theirs.length !== ours.length) return Infinity;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    err = Math.max(err, Math.abs(theirs[i] - ours[i]));
    scale = Math.max(scale, Math.abs(ours[i]));
  }
  return Number.isNaN(err) ? NaN : err / (scale || 1);
}
