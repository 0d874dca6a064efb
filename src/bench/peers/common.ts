/**
 * What the peer benchmarks share: the problems every side is given (plain host arrays, in the
 * engine's layouts), one wall-clock timing rule, one agreement measure, and the navigator.gpu
 * that TF.js and jax-js look for.
 *
 * Why a navigator: both peers are browser libraries. In Node they find WebGPU only through
 * globalThis.navigator.gpu, so we hand them a Dawn GPU object there — created after the engine's
 * acquireDevice(), which has already pointed the Vulkan loader (VK_ICD_FILENAMES) at the driver
 * it chose, so the peers' adapter is the engine's adapter (lavapipe on a machine without a GPU).
 * Each library then requests its own device on it. jax-js also reads navigator.userAgent while it
 * tunes kernels, so the navigator must stay in place while peers run, not only while they load.
 */
import { createDawnGpu, type DawnGpu } from '../../gpu/dawn';
import type { ParamLayout } from '../../autograd/layout';
import { summarise, type Timing } from '../harness';

export interface TimingOptions {
  warmup: number;
  repeats: number;
}

/** C = A·B with A m×k and B k×n, row-major. */
export interface MatmulProblem {
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  b: Float32Array;
}

/** An MLP (ReLU, softmax cross-entropy, mean over rows) at θ on one batch; θ and v in the engine's flat layout. */
export interface MlpProblem {
  layout: ParamLayout;
  rows: number;
  x: Float32Array;
  labels: Uint32Array;
  params: Float32Array;
  v: Float32Array;
}

/**
 * One side's op, ready to time: its result (from a first run, which also compiled it), a run that
 * issues the op and waits for the GPU without reading anything back, and cleanup.
 */
export interface Prepared {
  result: Float32Array;
  run: () => Promise<void>;
  close: () => void;
}

/** A Prepared from `make`; `close` runs at once if make throws, else when the caller closes it. */
export async function prepared(close: () => void, make: () => Promise<Omit<Prepared, 'close'>>): Promise<Prepared> {
  try {
    return { ...(await make()), close };
  } catch (err) {
    close();
    throw err;
  }
}

/** A peer library after loading: usable, or the reason it cannot run here. */
export type Loaded<T> = { lib: T } | { unavailable: string };

/**
 * WebGPU reports validation and out-of-memory errors as events, not exceptions, so a peer can
 * return garbage without throwing (jax-js only logs them). This collects them from a peer's device,
 * next to any listener the library has, so that a run that hit one fails with the message.
 */
export class DeviceErrors {
  private readonly messages: string[] = [];

  constructor(device: GPUDevice) {
    device.addEventListener('uncapturederror', (event) => {
      this.messages.push((event as GPUUncapturedErrorEvent).error.message.split('\n')[0]);
    });
  }

  throwIfAny(): void {
    if (this.messages.length === 0) return;
    const [first, ...more] = this.messages.splice(0);
    throw new Error(`WebGPU error on the peer's device: ${first}${more.length > 0 ? ` (and ${more.length} more)` : ''}`);
  }
}

/** The first line of an error's message, for a table cell. */
export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] || 'unknown error';
}

/**
 * Wall clock from the first API call of a run to the GPU reporting the work done, for the engine
 * and a peer by the same rule. The sides alternate run by run (in turn-swapping order), so both
 * see the same machine load — software adapters share the CPU with everything else.
 */
export async function wallClock(runs: readonly (() => Promise<void>)[], o: TimingOptions): Promise<Timing[]> {
  const samples = runs.map((): number[] => []);
  for (let r = 0; r < o.warmup + o.repeats; r++) {
    const order = r % 2 === 0 ? [...runs.keys()] : [...runs.keys()].reverse();
    for (const i of order) {
      const t0 = performance.now();
      await runs[i]();
      if (r >= o.warmup) samples[i].push(performance.now() - t0);
    }
  }
  return samples.map((s) => summarise(s, 'wall clock'));
}

/** Per layer W (out × in, row-major) and b, copied out of a flat parameter-space vector. */
export function splitParams(layout: ParamLayout, flat: Float32Array): { w: Float32Array; b: Float32Array }[] {
  return layout.layers.map((l) => ({
    w: flat.slice(l.weightOffset, l.weightOffset + l.inDim * l.outDim),
    b: flat.slice(l.biasOffset, l.biasOffset + l.outDim),
  }));
}

/** The inverse of splitParams. */
export function joinParams(layout: ParamLayout, layers: { w: ArrayLike<number>; b: ArrayLike<number> }[]): Float32Array {
  const flat = new Float32Array(layout.size);
  layout.layers.forEach((l, i) => {
    flat.set(layers[i].w, l.weightOffset);
    flat.set(layers[i].b, l.biasOffset);
  });
  return flat;
}

/** The peers' Dawn instance: it must outlive their devices, so it lives until closePeerGpu(). */
let dawn: DawnGpu | null = null;

/**
 * Run `fn` with globalThis.navigator = { gpu, userAgent } and put the previous navigator back
 * afterwards (none on Node 20, a built-in one on Node ≥ 21), so no Dawn object stays global.
 */
export async function withNavigatorGpu<T>(fn: (gpu: GPU) => Promise<T>): Promise<T> {
  dawn ??= await createDawnGpu();
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: dawn.gpu, userAgent: `Node.js ${process.version}` }, configurable: true, writable: true,
  });
  try {
    return await fn(dawn.gpu);
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/** Drop the peers' Dawn instance, after their devices are destroyed. */
export function closePeerGpu(): void {
  dawn = null;
}
