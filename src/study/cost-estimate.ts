/**
 * What a study will cost, said before it starts. Two halves:
 * - studyWork (pure): the passes each stage may spend, from the configuration's counts — every run
 *   to its maxEpochs, every iterative solver to its iteration or probe budget. So the estimate is an
 *   upper bound: a converged run stops early and the solvers at their tolerance.
 * - timePasses (GPU): each kind of pass the work needs, timed on this adapter at the study's own
 *   sizes by wall clock around submit + onSubmittedWorkDone (a study's steps pay the dispatch
 *   overhead too, which a timestamp query would leave out). The first, untimed call of each pass
 *   compiles its pipelines, which the study then finds cached: that compile time (minutes on a cold
 *   lavapipe cache) is the one cost not in the figure.
 * Stages whose host work is large next to their passes (SLQ's and λmin's reorthogonalisation, the
 * bootstrap) are counted by their passes alone.
 */
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { Tensor } from '../gpu/tensor';
import { prepareMinibatchSteps } from '../train/minibatch-steps';
import { resolveOptimizerConfig } from '../optim/optimizer';
import type { RunConfig, StudyConfig } from './config';
import { isReference, reproduces } from './reproduction';
import { formatDuration } from '../util/words';
import { MEASURES } from '../measures/registry';
import { TRAINING_MEASURES } from './training-measures';
import { RESCALED_MEASURES } from './rescaling';

/** A pass the estimate times: its kind, the rows it runs over and, for a block pass, its directions. */
export type Pass =
  | { kind: 'step'; batch: number }
  | { kind: 'forward' | 'gradient' | 'hvp'; set: RowSet }
  | { kind: 'block'; set: 'probe'; k: number };

/** The row sets passes run over: the training and test splits, the probe and during-training subsets, the EoS full batch, one minibatch. */
export type RowSet = 'train' | 'test' | 'probe' | 'during' | 'eos' | { batch: number };

export interface WorkItem {
  stage: string;
  pass: Pass;
  count: number;
}

export interface StudyCost {
  /** Upper bound on the whole study, seconds. */
  seconds: number;
  /** Per stage, summed over runs, largest first. */
  stages: { stage: string; seconds: number }[];
  /** Runs it covers (those not already finished in the folder). */
  runs: number;
}

export const passKey = (p: Pass): string =>
  p.kind === 'step' ? `step:${p.batch}` : p.kind === 'block' ? `block:${p.k}` : `${p.kind}:${typeof p.set === 'string' ? p.set : `batch${p.set.batch}`}`;

/**
 * The passes the study may spend on `pending` runs (plus the study-level rescaling check and EoS
 * traces), as the runner, the measures (src/measures) and the EoS runner spend them. `trainCount` is the training split's size.
 */
export function studyWork(config: StudyConfig, trainCount: number, pending: readonly RunConfig[], scope: WorkScope = {}): WorkItem[] {
  const { probed = true, eos = true } = scope;
  const p = config.probe;
  const k = p.blockSize;
  const items: WorkItem[] = [];
  const add = (stage: string, pass: Pass, count: number) => {
    if (count > 0) items.push({ stage, pass, count });
  };
  // A measure's passes, under the stage `${tag}: …`; over the probe set, or SGD steps at the run's batch.
  const probeMeasures = (tag: string, run: RunConfig, on: (measure: string) => boolean) => {
    const batch = run.batchSize ?? config.batchSize;
    const training = { optimizer: run.optimizer, batchSize: batch, twoOverEta: null };
    // Planned as if the eigenpairs a measure may need will be there (probe-run.ts plannedStages).
    const planned = { settings: p, eigenpairs: { values: [], vectors: new Float32Array(0) } };
    for (const m of MEASURES) {
      if (!on(m.name) || (m.enabled && !m.enabled(planned))) continue;
      for (const w of m.work?.(p, training) ?? []) {
        const pass: Pass = w.pass.kind === 'step' ? { kind: 'step', batch } : w.pass.kind === 'block' ? { kind: 'block', set: 'probe', k: w.pass.k } : { kind: w.pass.kind, set: 'probe' };
        add(`${tag}: ${w.stage}`, pass, w.count);
      }
    }
  };
  for (const run of pending) {
    const batch = run.batchSize ?? config.batchSize;
    const steps = config.train.maxEpochs * Math.floor(trainCount / batch);
    add('training steps', { kind: 'step', batch }, steps);
    add('training evaluations', { kind: 'forward', set: 'train' }, config.train.maxEpochs);
    add('training evaluations', { kind: 'forward', set: 'test' }, 1);
    if (!probed) continue;
    // A configuration's `measures` list (a grid cell's) runs only those (names as in the registries).
    const on = (measure: string) => !run.measures || run.measures.includes(measure);
    const checks = p.duringEvery > 0 ? Math.floor(steps / p.duringEvery) : 0;
    if (checks > 0) {
      for (const m of TRAINING_MEASURES) if (on(m.name) && m.enabled(config)) for (const w of m.work(config, run, checks)) add(w.stage, w.pass, w.count);
    }
    probeMeasures('probe', run, on);
    if (reproduces(config) && isReference(run.name)) {
      // Trained again for the whole budget (unless it spent it anyway), then its λmax.
      add('equal-budget reproduction', { kind: 'step', batch }, steps);
      add('equal-budget reproduction', { kind: 'forward', set: 'train' }, config.train.maxEpochs);
      add('equal-budget reproduction', { kind: 'block', set: 'probe', k }, p.maxIter);
    }
  }
  if (probed && pending.length > 0 && p.invariant.rescaleAlpha > 0) {
    for (const tag of ['rescaling check (whole layer)', 'rescaling check (per neuron)']) probeMeasures(tag, pending[0], (m) => RESCALED_MEASURES.includes(m));
  }
  if (probed && eos && config.eos.enabled) {
    const e = config.eos;
    add('edge-of-stability traces', { kind: 'hvp', set: 'eos' }, 50 + e.etas.length * Math.ceil(e.steps / e.every + 1) * e.powerIters);
    add('edge-of-stability traces', { kind: 'gradient', set: 'eos' }, e.etas.length * e.steps);
  }
  return items;
}

/** What else the runs' study does: `probed` false is the `train` command; `eos` false a shard that leaves the EoS traces to another. */
export interface WorkScope {
  probed?: boolean;
  eos?: boolean;
}

/** Seconds per pass, by passKey. */
export type PassTimes = Map<string, number>;

/** The work priced by the timed passes: total and per stage (largest first). */
export function priceWork(work: readonly WorkItem[], times: PassTimes, runs: number): StudyCost {
  return costOf(work.map((w) => {
    const t = times.get(passKey(w.pass));
    if (t === undefined) throw new Error(`cost estimate: no timing for ${passKey(w.pass)}`);
    return { stage: w.stage, seconds: w.count * t };
  }), runs);
}

/** Several estimates as one (a merge of shards: the compute of all machines together). */
export function sumCosts(costs: readonly StudyCost[]): StudyCost {
  return costOf(costs.flatMap((c) => c.stages), costs.reduce((s, c) => s + c.runs, 0));
}

/** Seconds summed per stage, largest first, and in all. */
function costOf(parts: readonly { stage: string; seconds: number }[], runs: number): StudyCost {
  const byStage = new Map<string, number>();
  for (const p of parts) byStage.set(p.stage, (byStage.get(p.stage) ?? 0) + p.seconds);
  const stages = [...byStage].map(([stage, seconds]) => ({ stage, seconds })).sort((a, b) => b.seconds - a.seconds);
  return { seconds: stages.reduce((s, x) => s + x.seconds, 0), stages, runs };
}

/** Times one of each distinct pass in `work` on this adapter (median of `repeats` after one compiling call). */
export async function timePasses(
  gpu: Gpu, config: StudyConfig, split: { train: Dataset; test: Dataset }, work: readonly WorkItem[], repeats = 3,
): Promise<PassTimes> {
  const widths = [split.train.features, ...config.hidden, split.train.classes];
  const model = await Mlp.create(gpu, { widths, activation: config.activation, seed: 0 });
  const P = model.layout.size;
  const chunkSize = config.probe.chunkSize;
  const sets = new Map<string, GpuDataset>();
  const rows = (set: RowSet): GpuDataset => {
    const key = typeof set === 'string' ? set : `batch${set.batch}`;
    let d = sets.get(key);
    if (!d) {
      const count = set === 'train' ? split.train.count : set === 'test' ? split.test.count : set === 'probe' ? config.probe.samples
        : set === 'during' ? config.probe.duringSamples : set === 'eos' ? config.eos.samples : set.batch;
      d = GpuDataset.fromDataset(gpu, set === 'test' ? split.test : firstSamples(split.train, count || split.train.count));
      sets.set(key, d);
    }
    return d;
  };
  const tensors: Tensor[] = [];
  const vector = (k = 1) => {
    const t = Tensor.create(gpu, [k, P], { label: 'estimate:vector', data: Float32Array.from({ length: k * P }, (_, i) => Math.sin(i)) });
    tensors.push(t);
    return t;
  };
  const times: PassTimes = new Map();
  try {
    for (const w of work) {
      const key = passKey(w.pass);
      if (times.has(key)) continue;
      const pass = w.pass;
      let record: (encoder: GPUCommandEncoder, i: number) => void;
      let release: () => void;
      if (pass.kind === 'step') {
        const run = config.configurations.find((r) => (r.batchSize ?? config.batchSize) === pass.batch) ?? config.configurations[0];
        const steps = await prepareMinibatchSteps(model, rows('train'), { optimizer: resolveOptimizerConfig(run.optimizer), batchSize: pass.batch, seed: 0 });
        record = (e, i) => steps.step(e, i);
        release = () => steps.destroy();
      } else if (pass.kind === 'block') {
        const plan = await model.prepareBlockPass({ data: rows(pass.set), directions: vector(pass.k), products: vector(pass.k), chunkSize });
        record = (e) => plan.encode(e);
        release = () => plan.destroy();
      } else {
        const data = rows(pass.set);
        const plan = pass.kind === 'forward' ? await model.preparePass({ kind: 'loss', data, chunkSize })
          : pass.kind === 'gradient' ? await model.preparePass({ kind: 'gradient', data, gradient: vector(), chunkSize })
          : await model.preparePass({ kind: 'hvp', data, direction: vector(), product: vector(), chunkSize });
        record = (e) => plan.encode(e, gpu);
        release = () => plan.destroy();
      }
      try {
        const samples: number[] = [];
        // A pass of a second or more is timed once: at full size the repeats would cost more than they settle.
        for (let i = 0; i <= repeats && !(samples.length > 0 && samples[0] >= 1); i++) {
          // Timed from the recording on: a run records every step's commands too, so the estimate pays for it.
          const t0 = performance.now();
          gpu.submit((encoder) => record(encoder, i));
          await gpu.sync();
          if (i > 0) samples.push((performance.now() - t0) / 1000);
        }
        samples.sort((a, b) => a - b);
        times.set(key, samples[Math.floor(samples.length / 2)]);
      } finally {
        release();
      }
    }
  } finally {
    for (const t of tensors) t.destroy();
    for (const d of sets.values()) d.destroy();
    model.destroy();
  }
  return times;
}

/** The whole estimate: the work of `pending` runs, priced by this adapter's timings of its passes. */
export async function estimateStudy(
  gpu: Gpu, config: StudyConfig, split: { train: Dataset; test: Dataset }, pending: readonly RunConfig[], scope: WorkScope = {},
): Promise<StudyCost> {
  const work = studyWork(config, split.train.count, pending, scope);
  return priceWork(work, await timePasses(gpu, config, split, work), pending.length);
}

/** The start-up line: the bound and the three largest stages. */
export function describeCost(c: StudyCost, adapter: string): string {
  const top = c.stages.slice(0, 3).map((s) => `${s.stage} ${formatDuration(s.seconds)}`).join(', ');
  return `estimated cost on ${adapter}: at most ~${formatDuration(c.seconds)} for ${c.runs === 1 ? '1 run' : `${c.runs} runs`} ` +
    `(every run to its epoch budget, every solver to its iteration budget; largest: ${top}), plus shader compilation on first use`;
}
