/**
 * One run of the demo, engine side only (no DOM): upload the data, train with λmax sampled during
 * training, evaluate, then probe the minimum — the steps of the Node study (src/study/run-study.ts)
 * on the browser's device, with the study's settings wherever the page has no field for one.
 * Results use the study's RunResult shape, so an export reads like its results.json.
 */
import {
  Mlp, GpuDataset, firstSamples, train, hessianBlockOperator, topEigenpair, filterNormalise, norm, normalise, randomDirection, slice1d, slice2d,
  DEFAULT_CONFIG, mergeConfig, firstArraySamples, uploadArrayData, measureMinimum, describeOptimizer,
  type Gpu, type Dataset, type Split, type StepLog, type NoiseResult, type Slice1d, type Slice2d, type RunResult, type Sharpness, type TrainingSettings,
} from 'hessian-gpu';
import { importedRun, plannedStages, UNMEASURED, type Eigenpairs } from 'hessian-gpu/study';
import { configurationName, optimizerConfig, probePatch, type Settings } from './settings';
import type { ImportChoice } from './import';
import { num } from './format';

const STUDY = DEFAULT_CONFIG.probe;

/** The activation of every net the page trains (the study's). */
export const TRAIN_ACTIVATION = DEFAULT_CONFIG.activation;

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
    const misfit = fitProblem(choice.weights, { name: choice.data?.file ?? 'the digits', features: data.probe.features, classes: data.probe.classes });
    if (misfit) throw new Error(misfit);
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
  const model = await Mlp.create(gpu, { widths: widths(data, s), activation: TRAIN_ACTIVATION, seed: s.seed });
  const during = s.lambdaEvery > 0 ? await hessianBlockOperator(model, data.during, 1, { chunkSize: STUDY.chunkSize }) : null;
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
        const power = await topEigenpair(during, { tol: STUDY.tol, maxIter: STUDY.duringMaxIter, seed: s.seed });
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
      configuration: configurationName(s), optimizer: describeOptimizer(optimizerConfig(s)), seed: s.seed, steps: out.steps,
      seconds: (performance.now() - t0) / 1000, diverged: out.diverged, train: trainEval, test: testEval,
      genGap: trainEval.accuracy - testEval.accuracy, ...UNMEASURED, duringTraining, history: out.history,
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
  /** The 2-D loss landscape (Li et al. 2018) and the directions spanning it. */
  landscape: Landscape;
  /** Gradient noise and (SGD) the weights' stationary spread against curvature (src/measures/noise.ts, the study's defaults). */
  noise: NoiseResult;
  /** The top eigenpairs, kept on the host so the landscape can be redrawn in their plane. */
  eigenpairs: Eigenpairs;
  hvps: number;
}

export interface Landscape {
  plane: Slice2d;
  axes: [string, string];
}

export const DIRECTIONS = ['top eigenvector', 'random (filter-normalised)'] as [string, string];

/** Thrown between probe stages once Stop was pressed. */
export class Stopped extends Error {
  constructor(readonly stage: string) {
    super(`stopped before ${stage}`);
  }
}

export interface ProbeHooks {
  /** Awaited before each stage with its 1-based number and the planned count. */
  stage: (text: string, k: number, n: number) => Promise<void>;
  signal: AbortSignal;
}

/** The measures' settings on this page: the study's, with the form's fields (the page draws its own slices). */
function probeSettings(s: Settings) {
  return { ...mergeConfig(DEFAULT_CONFIG, { probe: probePatch(s) }).probe, slice: undefined };
}

/** How the probed model was trained: an imported model was not trained with the form's optimiser, so it has no 2/η and no SGD continuation. */
function trainingOf(s: Settings, imported: boolean): TrainingSettings {
  return imported ? { batchSize: s.batch, twoOverEta: null } : { optimizer: optimizerConfig(s), batchSize: s.batch, twoOverEta: s.optimizer === 'sgd' ? 2 / s.lr : null };
}

/**
 * The stages a probe announces, for "stage k of n": the registry's measures (src/measures, an upper
 * bound: the noise measure may skip its continuation), then this page's 1D and 2D slices.
 */
export function probeStages(s: Settings, imported: boolean): number {
  return plannedStages(probeSettings(s), trainingOf(s, imported)) + 2;
}

/** A stage callback that counts, and stops the probe between stages once the signal is aborted. */
function counted(hooks: ProbeHooks, n: number): (text: string) => Promise<void> {
  let k = 0;
  return async (text) => {
    if (hooks.signal.aborted) throw new Stopped(text);
    k += 1;
    await hooks.stage(text, k, Math.max(n, k));
  };
}

/** The measures of the Node study (src/measures/registry.ts), plus two 1D slices and the 2D landscape. */
/** `imported`: the model was not trained with the form's optimiser, so it has no 2/η and no SGD continuation. */
export async function probeRun(model: Mlp, data: GpuDataset, s: Settings, hooks: ProbeHooks, imported = false): Promise<Probe> {
  const chunkSize = STUDY.chunkSize;
  const stage = counted(hooks, probeStages(s, imported));
  const probed = await measureMinimum(model, data, probeSettings(s), { seed: s.seed, training: trainingOf(s, imported), stage, signal: hooks.signal });
  const eigenpairs = probed.eigenpairs!;
  await stage('1D slices');
  const params = await model.getParams();
  const random = filterNormalise(randomDirection(model.layout, s.seed), params, model.layout);
  const top = normalise(eigenpairs.vectors.slice(0, model.layout.size), norm(random));
  const slices = [];
  for (const [direction, d] of [[DIRECTIONS[0], top], [DIRECTIONS[1], random]] as const) {
    slices.push({ direction, slice: await slice1d(model, data, d, { alphas: { ...STUDY.slice, steps: s.sliceSteps }, chunkSize }) });
  }
  await stage(`2D landscape (${s.gridSteps}×${s.gridSteps})`);
  const landscape = await landscapeOf(model, data, s, eigenpairs, params);
  return { sharpness: probed.sharpness!, density: probed.density!, slices, landscape, noise: probed.noise!, eigenpairs, hvps: probed.hvps };
}

/**
 * L(θ + α·d₁ + β·d₂) on a gridSteps² grid over ±planeRange, evaluated in batches of points per
 * pass over the data (src/probe/slices.ts). The plane is Li et al.'s — two independent random
 * directions, each filter-normalised to the weights (seeds s.seed and s.seed + 1) — or the top two
 * Hessian eigenvectors, each scaled to the first random direction's length so the ranges compare.
 */
export async function landscapeOf(model: Mlp, data: GpuDataset, s: Settings, eigen: Eigenpairs, params?: Float32Array): Promise<Landscape> {
  const theta = params ?? await model.getParams();
  const [r1, r2] = [s.seed, s.seed + 1].map((seed) => filterNormalise(randomDirection(model.layout, seed), theta, model.layout));
  const P = model.layout.size;
  let d: [Float32Array, Float32Array];
  let axes: [string, string];
  if (s.plane === 'eigen') {
    if (eigen.values.length < 2) throw new Error(`the top-two-eigenvector plane needs two eigenvectors; this probe returned ${eigen.values.length} (raise Top-k eigenvalues to 2 or more)`);
    d = [normalise(eigen.vectors.subarray(0, P), norm(r1)), normalise(eigen.vectors.subarray(P, 2 * P), norm(r1))];
    axes = [`v₁ (λ₁ = ${num(eigen.values[0])})`, `v₂ (λ₂ = ${num(eigen.values[1])})`];
  } else {
    d = [r1, r2];
    axes = ['d₁, random filter-normalised', 'd₂, random filter-normalised'];
  }
  const grid = { from: -s.planeRange, to: s.planeRange, steps: s.gridSteps };
  const plane = await slice2d(model, data, d[0], d[1], { alphas: grid, betas: grid, chunkSize: STUDY.chunkSize });
  return { plane, axes };
}

/** Whether a model and data fit: an error message naming both, or null. */
export function fitProblem(model: { file: string; widths: number[] }, data: { name: string; features: number; classes: number }): string | null {
  const inputs = model.widths[0];
  const outputs = model.widths.at(-1)!;
  if (inputs === data.features && data.classes <= outputs) return null;
  const what = [
    inputs !== data.features ? `takes ${inputs} inputs but ${data.name} has ${data.features} features per sample` : '',
    data.classes > outputs ? `has ${outputs} outputs but ${data.name} has labels up to ${data.classes - 1}` : '',
  ].filter(Boolean).join(', and ');
  return `${model.file} ${what}: drop a data .npz that matches the model, or a model for this data.`;
}


