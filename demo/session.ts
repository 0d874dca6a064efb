/**
 * One run of the demo, engine side only (no DOM): upload the data, train with λmax sampled during
 * training, evaluate, then probe the minimum — the steps of the Node study (src/study/run-study.ts)
 * on the browser's device, with the study's settings wherever the page has no field for one.
 * Results use the study's RunResult shape, so an export reads like its results.json.
 */
import type { Gpu } from '../src/gpu/context';
import { Mlp } from '../src/autograd/mlp';
import { GpuDataset } from '../src/data/gpu-dataset';
import { firstSamples, type Dataset, type Split } from '../src/data/dataset';
import { train, type StepLog } from '../src/train/trainer';
import { hessianOperator } from '../src/probe/operator';
import { powerIteration } from '../src/probe/power';
import { probeMinimum } from '../src/study/probe-minimum';
import { measureNoise, type NoiseResult } from '../src/study/noise';
import { filterNormalise, norm, normalise, randomDirection } from '../src/probe/directions';
import { slice1d, slice2d, type Slice1d, type Slice2d } from '../src/probe/slices';
import { DEFAULT_CONFIG } from '../src/study/config';
import type { RunResult, Sharpness } from '../src/study/results';
import { firstArraySamples, uploadArrayData } from '../src/io/array-data';
import { importedRun } from '../src/study/imported-run';
import { OPTIMIZER_LABELS } from '../src/vocabulary';
import { configurationName, optimizerConfig, type Settings } from './settings';
import type { ImportChoice } from './import';

const STUDY = DEFAULT_CONFIG.probe;

export interface RunData {
  train: GpuDataset;
  test: GpuDataset;
  /** The first probeSamples training samples, where the Hessian is measured. */
  probe: GpuDataset;
  /** The first samples of the training set for λmax during training, as many as the study uses. */
  during: GpuDataset;
}

/** The subsets the settings ask for (capped at what the split has), each uploaded once. */
export function uploadData(gpu: Gpu, split: Split, s: Settings): RunData {
  const uploaded = new Map<Dataset, GpuDataset>();
  const upload = (ds: Dataset) => uploaded.get(ds) ?? uploaded.set(ds, GpuDataset.fromDataset(gpu, ds)).get(ds)!;
  const trainSet = firstSamples(split.train, s.train);
  return {
    train: upload(trainSet),
    test: upload(firstSamples(split.test, s.test)),
    probe: upload(firstSamples(trainSet, s.probeSamples)),
    during: upload(firstSamples(trainSet, STUDY.duringSamples)),
  };
}

/** Destroys each upload once (subsets that cover the whole set share its upload). */
export function destroyData(d: RunData): void {
  for (const set of new Set([d.train, d.test, d.probe, d.during])) set.destroy();
}

/**
 * An imported model (demo/import.ts) with its data — the dropped arrays (their first probeSamples,
 * in every role) or the digits as for training — evaluated and ready for probeRun. The result has
 * no training; "train" is the probed data, "test" the digits' test split when they are the data.
 */
export async function importedModel(gpu: Gpu, choice: ImportChoice, split: Split | null, s: Settings): Promise<{ model: Mlp; data: RunData; result: RunResult }> {
  const t0 = performance.now();
  let data: RunData;
  if (choice.data) {
    const probe = uploadArrayData(gpu, firstArraySamples(choice.data.arrays, s.probeSamples));
    data = { train: probe, test: probe, probe, during: probe };
  } else {
    data = uploadData(gpu, split!, s);
  }
  const widths = choice.weights.widths;
  let model: Mlp | null = null;
  try {
    if (data.probe.features !== widths[0] || data.probe.classes > widths.at(-1)!) {
      throw new Error(`${choice.weights.file} takes ${widths[0]} inputs and has ${widths.at(-1)} outputs, but the data has ` +
        `${data.probe.features} features and ${data.probe.classes} classes: drop a matching data .npz.`);
    }
    model = await Mlp.create(gpu, { widths, activation: choice.activation, seed: s.seed });
    model.setParams(choice.weights.params);
    const probed = await model.loss(data.probe, { chunkSize: STUDY.chunkSize });
    const result = importedRun(choice.weights.file, s.seed, 0, probed, null);
    if (!choice.data) {
      const test = await model.loss(data.test, { chunkSize: STUDY.chunkSize });
      result.test = { loss: test.loss, accuracy: test.accuracy };
      result.genGap = probed.accuracy - test.accuracy;
    }
    result.seconds = (performance.now() - t0) / 1000;
    return { model, data, result };
  } catch (err) {
    model?.destroy();
    destroyData(data);
    throw err;
  }
}

export interface TrainHooks {
  signal: AbortSignal;
  onLog: (log: StepLog, totalSteps: number) => Promise<void>;
  onLambda: (step: number, lambdaMax: number) => Promise<void>;
}

export interface Trained {
  model: Mlp;
  result: RunResult;
  stopped: boolean;
}

export function widths(data: RunData, s: Settings): number[] {
  return [data.train.features, ...Array<number>(s.depth).fill(s.hidden), data.train.classes];
}

export async function trainRun(gpu: Gpu, data: RunData, s: Settings, hooks: TrainHooks): Promise<Trained> {
  const t0 = performance.now();
  const model = await Mlp.create(gpu, { widths: widths(data, s), activation: DEFAULT_CONFIG.activation, seed: s.seed });
  const during = s.lambdaEvery > 0 ? await hessianOperator(model, data.during, { chunkSize: STUDY.chunkSize }) : null;
  const duringTraining: RunResult['duringTraining'] = [];
  let nextLambda = s.lambdaEvery;
  try {
    const out = await train(model, data.train, {
      epochs: s.epochs, batchSize: s.batch, optimizer: optimizerConfig(s), seed: s.seed, logEvery: s.logEvery,
      test: data.test, evalChunkSize: STUDY.chunkSize, signal: hooks.signal,
      onProgress: (e) => (e.kind === 'log' ? hooks.onLog(e, e.totalSteps) : undefined),
      onCheck: async (step) => {
        if (!during || step < nextLambda) return;
        nextLambda += s.lambdaEvery;
        const power = await powerIteration(during, { tol: STUDY.tol, maxIter: STUDY.duringMaxIter, seed: s.seed });
        power.vector.destroy();
        duringTraining.push({ step, lambdaMax: power.eigenvalue });
        await hooks.onLambda(step, power.eigenvalue);
      },
    });
    out.optimizer.destroy();
    const last = out.evals.at(-1);
    const nan = { loss: NaN, accuracy: NaN };
    const trainEval = last ? { loss: last.train.loss, accuracy: last.train.accuracy } : nan;
    const testEval = last?.test ? { loss: last.test.loss, accuracy: last.test.accuracy } : nan;
    const result: RunResult = {
      configuration: configurationName(s), optimizer: describeOptimizer(s), seed: s.seed, steps: out.steps,
      seconds: (performance.now() - t0) / 1000, diverged: out.diverged, train: trainEval, test: testEval,
      genGap: trainEval.accuracy - testEval.accuracy, sharpness: null, duringTraining, history: out.history, slice: null, density: null,
    };
    return { model, result, stopped: out.stopped };
  } catch (err) {
    model.destroy();
    throw err;
  } finally {
    during?.destroy();
  }
}

export interface Probe {
  sharpness: Sharpness;
  density: { grid: number[]; density: number[] };
  /** 1D slices along the top eigenvector and a random filter-normalised direction, the same length. */
  slices: { direction: string; slice: Slice1d }[];
  /** The loss over the plane those two directions span. */
  plane: Slice2d;
  /** Gradient noise and (SGD) the weights' stationary spread against curvature (src/study/noise.ts, the study's defaults). */
  noise: NoiseResult;
  hvps: number;
}

export const DIRECTIONS = ['top eigenvector', 'random (filter-normalised)'] as [string, string];

/** The probes of the Node study (src/study/probe-minimum.ts), plus two 1D slices and the 2D plane they span. */
/** `imported`: the model was not trained with the form's optimiser, so it has no 2/η. */
export async function probeRun(model: Mlp, data: GpuDataset, s: Settings, stage: (text: string) => Promise<void>, imported = false): Promise<Probe> {
  const chunkSize = STUDY.chunkSize;
  const probed = await probeMinimum(model, data, { ...STUDY, maxIter: s.maxIter, topK: s.topK, lanczosSteps: s.lanczosSteps, densitySteps: s.densitySteps, slice: undefined },
    { seed: s.seed, twoOverEta: s.optimizer === 'sgd' && !imported ? 2 / s.lr : null }, stage);
  await stage('1D slices');
  const random = filterNormalise(randomDirection(model.layout, s.seed), await model.getParams(), model.layout);
  const top = normalise(probed.topVector, norm(random));
  const grid = (steps: number) => ({ from: STUDY.slice.from, to: STUDY.slice.to, steps });
  const slices = [];
  for (const [direction, d] of [[DIRECTIONS[0], top], [DIRECTIONS[1], random]] as const) {
    slices.push({ direction, slice: await slice1d(model, data, d, { alphas: grid(s.sliceSteps), chunkSize }) });
  }
  await stage(`2D slice (${s.gridSteps}×${s.gridSteps})`);
  const plane = await slice2d(model, data, top, random, { alphas: grid(s.gridSteps), betas: grid(s.gridSteps), chunkSize });
  // An imported model has no optimiser of this form's: its gradient noise only.
  const noiseRun = imported ? { batchSize: s.batch, seed: s.seed, chunkSize } : { optimizer: optimizerConfig(s), batchSize: s.batch, seed: s.seed, chunkSize };
  const noise = await measureNoise(model, data, STUDY.noise, noiseRun, probed.eigenpairs, stage);
  return { sharpness: probed.sharpness, density: probed.density, slices, plane, noise, hvps: probed.hvps };
}

function describeOptimizer(s: Settings): string {
  const name = OPTIMIZER_LABELS[s.optimizer];
  return `${name} (lr ${s.lr}${s.wd ? `, wd ${s.wd}` : ''})`;
}
