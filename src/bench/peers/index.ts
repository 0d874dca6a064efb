/**
 * Kernel throughput side by side with TensorFlow.js and jax-js, in the same Node process and on
 * the same adapter as the engine (common.ts explains how the peers get it):
 *
 *   matmul    engine GEMM                         vs tf.matMul and jit(np.matmul)
 *   sgd step  engine gradient pass + SGD kernel   vs TF.js optimizer.minimize (one batch; the
 *             engine's pass also gathers the batch from its GPU dataset, TF.js is given it)
 *   hvp       engine R-op pass                    vs jax-js jit(jvp(grad(loss)))
 *
 * Before timing, each peer's result is compared with the engine's on the same inputs (for the SGD
 * step: the gradient at θ). The engine is timed by the peers' rule — wall clock from the first API
 * call to the GPU reporting done, alternating with the peer run by run — and by timeGpu
 * (timestamp queries when the device has them).
 * A peer that cannot load, or fails on an op, gives a row 'unavailable: <reason>' instead of
 * failing the benchmark. Call closePeers() once when done (it destroys the peers' devices).
 *
 * And PyTorch on the CPU (torch.ts), for context rather than as a same-adapter peer: the SGD step,
 * the gradient, the HVP and time to λmax on the same problems, the engine timed alone beside it.
 */
import { releaseDispatches, type Gpu } from '../../gpu/context';
import { prepareMatmul } from '../../gpu/ops/matmul';
import { Tensor } from '../../gpu/tensor';
import { Mlp } from '../../autograd/mlp';
import type { ParamLayout } from '../../autograd/layout';
import { GpuDataset } from '../../data/gpu-dataset';
import { Optimizer } from '../../optim/optimizer';
import { Rng } from '../../util/rng';
import { markdownTable, maxRelErr, summarise, timeGpu, type Timing } from '../harness';
import { hessianBlockOperator } from '../../probe/block-operator';
import { topEigenpair } from '../../probe/block-eigen';
import { randomVector } from '../../probe/vector-ops';
import {
  closePeerGpu, reason, wallClock, withNavigatorGpu,
  type DeviceErrors, type Loaded, type MatmulProblem, type MlpProblem, type Prepared, type TimingOptions,
} from './common';
import { closeTfjs, loadTfjs, tfMatmul, tfSgdStep } from './tfjs';
import { closeJax, jaxHvp, jaxMatmul, loadJax } from './jaxjs';
import { findTorch, runTorch, type TorchJob, type TorchPeer } from './torch';

export interface PeerOptions {
  /** GEMM shapes as [m, n, k]: C (m × n) = A (m × k) · B (k × n). */
  matmuls: [number, number, number][];
  mlps: number[][];
  /** Rows of the SGD step's batch. */
  batch: number;
  /** Rows the HVP is taken over (jax-js needs ≤ 512 for 784-256-256-10 under a 128 MiB binding limit). */
  samples: number;
  lr: number;
  warmup: number;
  repeats: number;
  /** Runs of each side's time to λmax (after one warm-up iteration). */
  lambdaRepeats: number;
  /** Relative tolerance of λmax. */
  tol: number;
  seed: number;
}

export const DEFAULT_PEER_OPTIONS: PeerOptions = {
  matmuls: [[128, 128, 784], [128, 256, 784], [512, 512, 512], [1024, 1024, 1024]],
  mlps: [[784, 128, 10], [784, 256, 256, 10]],
  batch: 128,
  samples: 512,
  lr: 0.01,
  warmup: 2,
  repeats: 7,
  lambdaRepeats: 3,
  tol: 1e-4,
  seed: 0,
};

interface RowKey {
  peer: 'TF.js' | 'jax-js' | 'PyTorch CPU';
  op: 'matmul' | 'sgd step' | 'gradient' | 'hvp' | 'λmax';
  shape: string;
}

export interface MeasuredRow extends RowKey {
  /** Engine, median wall clock by the peers' rule. */
  oursMs: number;
  /** Engine, median by timeGpu (method in oursGpuMethod), run back to back: on a CPU adapter warmer caches than the alternating wall clock. */
  oursGpuMs: number;
  oursGpuMethod: Timing['method'];
  /** Interquartile range over the median of the engine's wall clock samples. */
  oursIqr: number;
  /** Peer, median wall clock. */
  theirsMs: number;
  theirsIqr: number;
  /** theirsMs / oursMs: above 1 the engine is faster. */
  ratio: number;
  /** max |theirs − ours| / max |ours| on the same inputs. */
  maxRelErr: number;
}

export type PeerRow = MeasuredRow | (RowKey & { unavailable: string });

export interface PeerReport {
  /** The adapter navigator.gpu gives the peers (the engine's: same Dawn, same Vulkan driver). */
  peerAdapter: string;
  /** PyTorch's version and threads, or why it is unavailable. */
  torch: string;
  rows: PeerRow[];
}

/** The engine's side of a row: its result, its timeGpu timing, and a run for the shared wall clock. */
interface Ours extends Prepared {
  gpu: Timing;
}

export async function benchPeers(gpu: Gpu, options: Partial<PeerOptions> = {}): Promise<PeerReport> {
  const o = { ...DEFAULT_PEER_OPTIONS, ...options };
  const t: TimingOptions = { warmup: o.warmup, repeats: o.repeats };
  return withNavigatorGpu(async (navigatorGpu) => {
    const info = (await navigatorGpu.requestAdapter({ powerPreference: 'high-performance' }))?.info;
    const peerAdapter = info ? `${info.description || info.device} (${info.vendor}, ${info.architecture})` : 'none';
    const tfjs = await loadTfjs();
    const jax = await loadJax();
    const torch = await findTorch();
    let torchAbout = 'unavailable' in torch ? `unavailable: ${torch.unavailable}` : torch.about;
    const rows: PeerRow[] = [];
    for (const [m, n, k] of o.matmuls) {
      const p = matmulProblem(m, n, k, o.seed);
      const shape = `${m}×${n}×${k}`;
      rows.push(...await withOurs(await oursMatmul(gpu, p, t), async (ours) => [
        await compare(gpu, { peer: 'TF.js', op: 'matmul', shape }, ours, tfjs, (tf) => tfMatmul(tf, p), t),
        await compare(gpu, { peer: 'jax-js', op: 'matmul', shape }, ours, jax, (jx) => jaxMatmul(jx, p), t),
      ]));
    }
    for (const widths of o.mlps) {
      const model = await Mlp.create(gpu, { widths, activation: 'relu', seed: o.seed });
      try {
        const step = mlpProblem(model.layout, o.batch, await model.getParams(), o.seed);
        rows.push(await withOurs(await oursGradientPass(gpu, model, step, t, o.lr), (ours) =>
          compare(gpu, { peer: 'TF.js', op: 'sgd step', shape: `${widths.join('-')}, batch ${o.batch}` }, ours, tfjs,
            (tf) => tfSgdStep(tf, step, o.lr), t)));
        const hvp = mlpProblem(model.layout, o.samples, step.params, o.seed + 1);
        model.setParams(hvp.params); // the SGD steps moved θ
        rows.push(await withOurs(await oursHvpPass(gpu, model, hvp, t), (ours) =>
          compare(gpu, { peer: 'jax-js', op: 'hvp', shape: `${widths.join('-')}, ${o.samples} rows` }, ours, jax,
            (jx) => jaxHvp(jx, hvp), t)));
        const torchRows = await pytorchRows(gpu, model, step, hvp, o, torch);
        rows.push(...torchRows.rows);
        torchAbout = torchRows.about ?? torchAbout;
      } finally {
        model.destroy();
      }
    }
    return { peerAdapter, torch: torchAbout, rows };
  });
}

/**
 * PyTorch CPU rows for one MLP: the engine's SGD step, gradient, HVP and time to λmax, each timed
 * alone (wall clock), then the same four in one python3 child; a torch failure makes the rows unavailable.
 */
async function pytorchRows(gpu: Gpu, model: Mlp, step: MlpProblem, hvp: MlpProblem, o: PeerOptions, torch: TorchPeer | { unavailable: string }): Promise<{ rows: PeerRow[]; about?: string }> {
  const w = model.layout.widths.join('-');
  const jobs: TorchJob[] = [
    { name: 'sgd', op: 'sgd step', problem: step, lr: o.lr },
    { name: 'gradient', op: 'gradient', problem: hvp },
    { name: 'hvp', op: 'hvp', problem: hvp },
    { name: 'lambda', op: 'λmax', problem: hvp, tol: o.tol, start: randomVector(new Rng(o.seed), model.layout.size, 'normal') },
  ];
  const keys = jobs.map((j): RowKey => ({
    peer: 'PyTorch CPU', op: j.op,
    shape: j.op === 'sgd step' ? `${w}, batch ${o.batch}` : `${w}, ${o.samples} rows${j.op === 'λmax' ? `, tol ${o.tol}` : ''}`,
  }));
  if ('unavailable' in torch) return { rows: keys.map((k) => ({ ...k, unavailable: torch.unavailable })) };
  const t: TimingOptions = { warmup: o.warmup, repeats: o.repeats };
  // The engine's side first (θ stays at hvp.params: the step is timed on a copy of the model's parameters).
  const ours: { result: Float32Array; timing: Timing }[] = [];
  model.setParams(step.params);
  ours.push(await withOurs(await oursGradientPass(gpu, model, step, t, o.lr), async (s) => ({ result: s.result, timing: (await wallClock([s.run], t))[0] })));
  model.setParams(hvp.params);
  ours.push(await withOurs(await oursGradientPass(gpu, model, hvp, t), async (s) => ({ result: s.result, timing: (await wallClock([s.run], t))[0] })));
  ours.push(await withOurs(await oursHvpPass(gpu, model, hvp, t), async (s) => ({ result: s.result, timing: (await wallClock([s.run], t))[0] })));
  ours.push(await oursLambda(gpu, model, hvp, o));
  let theirs: Awaited<ReturnType<typeof runTorch>>;
  try {
    theirs = await runTorch(torch, jobs, t, o.lambdaRepeats);
  } catch (err) {
    return { rows: keys.map((k) => ({ ...k, unavailable: `PyTorch ${k.op} failed: ${reason(err)}` })) };
  }
  const rows = keys.map((k, i): PeerRow => {
    const [mine, them] = [ours[i], theirs.results[i]];
    const lambda = them.lambda !== undefined;
    return {
      ...k,
      oursMs: mine.timing.medianMs, oursIqr: mine.timing.relativeIqr, oursGpuMs: mine.timing.medianMs, oursGpuMethod: mine.timing.method,
      theirsMs: them.medianMs, theirsIqr: them.relativeIqr, ratio: them.medianMs / mine.timing.medianMs,
      // λmax: the eigenvalues agree (the vectors may differ in sign).
      maxRelErr: lambda ? maxRelErr([them.lambda!], mine.result) : maxRelErr(them.result, mine.result),
    };
  });
  return { rows, about: theirs.about };
}

/** Destroy the peers' devices and drop their Dawn instance; peers report unavailable afterwards. */
export async function closePeers(): Promise<void> {
  await closeTfjs();
  await closeJax();
  closePeerGpu();
}

export function peersTable(report: PeerReport): string {
  const table = markdownTable(
    [['peer', 'l'], ['op', 'l'], ['shape', 'l'], ['ours ms (wall)', 'r'], ['IQR/median', 'r'], ['ours ms (GPU)', 'r'], ['theirs ms (wall)', 'r'], ['IQR/median', 'r'], ['theirs / ours', 'r'], ['max rel err', 'r']],
    report.rows.map((r) => 'unavailable' in r
      ? [r.peer, r.op, r.shape, `unavailable: ${r.unavailable}`]
      : [r.peer, r.op, r.shape, r.oursMs.toFixed(2), r.oursIqr.toFixed(2), r.oursGpuMs.toFixed(2), r.theirsMs.toFixed(2), r.theirsIqr.toFixed(2), r.ratio.toFixed(2), r.maxRelErr.toExponential(1)]),
  );
  return `peers' adapter: ${report.peerAdapter}; PyTorch CPU (not on the adapter: what a CPU-only user would pick, on every core of this machine): ${report.torch}\n\n${table}`;
}

/**
 * One row: the peer's result against ours, then both timed together. Anything the peer throws or
 * its device reports makes the row unavailable; the engine's own errors still throw (assertAlive).
 */
async function compare<T extends { errors: DeviceErrors }>(
  gpu: Gpu, key: RowKey, ours: Ours, peer: Loaded<T>, prepare: (lib: T) => Promise<Prepared>, t: TimingOptions,
): Promise<PeerRow> {
  if ('unavailable' in peer) return { ...key, unavailable: peer.unavailable };
  let theirs: Prepared | undefined;
  let wall: Timing[];
  try {
    theirs = await prepare(peer.lib);
    peer.lib.errors.throwIfAny();
    wall = await wallClock([ours.run, theirs.run], t);
    peer.lib.errors.throwIfAny();
  } catch (err) {
    return { ...key, unavailable: `${key.peer} ${key.op} failed: ${reason(err)}` };
  } finally {
    theirs?.close();
  }
  gpu.assertAlive();
  const [oursWall, theirsWall] = wall;
  return {
    ...key,
    oursMs: oursWall.medianMs,
    oursIqr: oursWall.relativeIqr,
    oursGpuMs: ours.gpu.medianMs,
    oursGpuMethod: ours.gpu.method,
    theirsMs: theirsWall.medianMs,
    theirsIqr: theirsWall.relativeIqr,
    ratio: theirsWall.medianMs / oursWall.medianMs,
    maxRelErr: maxRelErr(theirs.result, ours.result),
  };
}

/**
 * The engine's side of a row: the result (`result` runs the work once and reads it back), timeGpu's
 * timing, and a run that submits and waits without assertAlive, so that inside compare only the
 * peer can throw. `close` frees the work's buffers, also when this fails.
 */
async function oursSide(gpu: Gpu, record: (encoder: GPUCommandEncoder) => void, result: () => Promise<Float32Array>,
  t: TimingOptions, close: () => void): Promise<Ours> {
  try {
    const values = await result();
    const run = async () => {
      gpu.submit(record);
      await gpu.device.queue.onSubmittedWorkDone();
    };
    return { result: values, run, close, gpu: await timeGpu(gpu, record, t) };
  } catch (err) {
    close();
    throw err;
  }
}

async function withOurs<R>(ours: Ours, fn: (ours: Ours) => Promise<R>): Promise<R> {
  try {
    return await fn(ours);
  } finally {
    ours.close();
  }
}

function matmulProblem(m: number, n: number, k: number, seed: number): MatmulProblem {
  const rng = new Rng(seed);
  const normal = (count: number) => Float32Array.from({ length: count }, () => rng.normal());
  return { m, n, k, a: normal(m * k), b: normal(k * n) };
}

/** Pixel-like inputs in [0, 1), uniform labels, a standard-normal direction v. */
function mlpProblem(layout: ParamLayout, rows: number, params: Float32Array, seed: number): MlpProblem {
  const rng = new Rng(seed);
  const classes = layout.widths[layout.widths.length - 1];
  return {
    layout, rows, params,
    x: Float32Array.from({ length: rows * layout.widths[0] }, () => rng.uniform()),
    labels: Uint32Array.from({ length: rows }, () => rng.int(classes)),
    v: Float32Array.from({ length: layout.size }, () => rng.normal()),
  };
}

function dataset(gpu: Gpu, p: MlpProblem): GpuDataset {
  const w = p.layout.widths;
  return GpuDataset.fromFloats(gpu, p.x, p.labels, w[0], w[w.length - 1]);
}

async function oursMatmul(gpu: Gpu, p: MatmulProblem, t: TimingOptions): Promise<Ours> {
  const a = Tensor.create(gpu, [p.m * p.k], { data: p.a });
  const b = Tensor.create(gpu, [p.k * p.n], { data: p.b });
  const c = Tensor.create(gpu, [p.m * p.n], { fill: NaN });
  const d = await prepareMatmul(gpu, { m: p.m, n: p.n, k: p.k, a: { buffer: a }, b: { buffer: b }, out: { buffer: c } });
  const record = (enc: GPUCommandEncoder) => gpu.encode(enc, [d]);
  return oursSide(gpu, record, async () => {
    gpu.submit(record);
    return (await c.read()) as Float32Array;
  }, t, () => {
    releaseDispatches([d]);
    for (const x of [a, b, c]) x.destroy();
  });
}

/** Result: the gradient at θ (the pass alone); timed: the gradient pass, + an SGD update (which moves θ) when lr is given. */
async function oursGradientPass(gpu: Gpu, model: Mlp, p: MlpProblem, t: TimingOptions, lr?: number): Promise<Ours> {
  const data = dataset(gpu, p);
  const grad = model.vector('peers:gradient');
  const plan = await model.preparePass({ kind: 'gradient', data, gradient: grad, chunkSize: p.rows });
  const optimizer = lr === undefined ? undefined : await Optimizer.create(gpu, { kind: 'sgd', lr }, model.params, grad);
  const step = (enc: GPUCommandEncoder) => {
    plan.encode(enc, gpu);
    optimizer?.encodeStep(enc);
  };
  return oursSide(gpu, step, async () => {
    gpu.submit((enc) => plan.encode(enc));
    return (await grad.read()) as Float32Array;
  }, t, () => {
    optimizer?.destroy();
    plan.destroy();
    grad.destroy();
    data.destroy();
  });
}

/** Time to λmax by power iteration (topEigenpair on one direction, from seed o.seed, as the PyTorch side starts), after a one-iteration warm-up; result: [λmax]. */
async function oursLambda(gpu: Gpu, model: Mlp, p: MlpProblem, o: PeerOptions): Promise<{ result: Float32Array; timing: Timing }> {
  const data = dataset(gpu, p);
  const op = await hessianBlockOperator(model, data, 1, { chunkSize: p.rows });
  try {
    (await topEigenpair(op, { tol: 1, maxIter: 1, seed: o.seed + 1 })).vector.destroy();
    const samples: number[] = [];
    let lambda = NaN;
    for (let r = 0; r < o.lambdaRepeats; r++) {
      const t0 = performance.now();
      const res = await topEigenpair(op, { tol: o.tol, maxIter: 1000, seed: o.seed });
      samples.push(performance.now() - t0);
      res.vector.destroy();
      lambda = res.eigenvalue;
    }
    return { result: Float32Array.of(lambda), timing: summarise(samples, 'wall clock') };
  } finally {
    op.destroy();
    data.destroy();
  }
}

async function oursHvpPass(gpu: Gpu, model: Mlp, p: MlpProblem, t: TimingOptions): Promise<Ours> {
  const data = dataset(gpu, p);
  const v = model.vector('peers:v');
  v.write(p.v);
  const hv = model.vector('peers:hv');
  const plan = await model.preparePass({ kind: 'hvp', data, direction: v, product: hv, chunkSize: p.rows });
  const record = (enc: GPUCommandEncoder) => plan.encode(enc, gpu);
  return oursSide(gpu, record, async () => {
    gpu.submit(record);
    return (await hv.read()) as Float32Array;
  }, t, () => {
    plan.destroy();
    for (const x of [v, hv]) x.destroy();
    data.destroy();
  });
}
