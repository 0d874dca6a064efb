/**
 * Node: the reference study end to end. For each configuration × seed: train on the GPU
 * (measuring λmax every few steps for the edge-of-stability plot), then probe the minimum —
 * λmax and its eigenvector, top-k and smallest eigenvalues, Hutchinson trace, spectral density,
 * perturbation sharpness and a 1D slice along the top eigenvector. Each finished run is written to
 * runs/<name>/<configuration>-s<seed>.json (atomically) so a re-run resumes after the last
 * finished one, and Ctrl-C (an aborted signal) stops cleanly keeping what finished.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples, type Dataset } from '../data/dataset';
import { loadDataset } from '../data/load-dataset';
import { train } from '../train/trainer';
import { saveCheckpoint } from '../train/checkpoint-file';
import { hessianOperator } from '../probe/operator';
import { powerIteration } from '../probe/power';
import { probeMinimum } from './probe-minimum';
import { writeFileAtomic } from '../util/atomic-write';
import type { StudyConfig, RunConfig } from './config';
import type { RunResult, StudyResult } from './results';
import { correlations, findings } from './report';

export interface StudyHooks {
  log: (line: string) => void;
  /** Called as training advances: fraction of this run done, for progress bars. */
  progress?: (run: string, fraction: number, note: string) => void;
  signal?: AbortSignal;
  /** false: train and checkpoint only (the `train` command), no sharpness measures. */
  probe?: boolean;
}

export async function runStudy(gpu: Gpu, config: StudyConfig, outDir: string, hooks: StudyHooks): Promise<StudyResult> {
  const startedAt = new Date().toISOString();
  const split = await loadSplit(config);
  const features = split.train.features;
  const classes = split.train.classes;
  const trainData = GpuDataset.fromDataset(gpu, split.train);
  const testData = GpuDataset.fromDataset(gpu, split.test);
  const probeSet = firstSamples(split.train, config.probe.samples);
  const probeData = GpuDataset.fromDataset(gpu, probeSet);
  const duringData = GpuDataset.fromDataset(gpu, firstSamples(split.train, config.probe.duringSamples));
  hooks.log(`data: ${split.train.count} train / ${split.test.count} test samples (${split.train.name}); probe on ${probeSet.count}`);
  const runs: RunResult[] = [];
  try {
    for (const run of config.configurations) {
      for (const seed of config.seeds) {
        if (hooks.signal?.aborted) break;
        const file = join(outDir, 'runs', `${run.name}-s${seed}${hooks.probe === false ? '.trained' : ''}.json`);
        if (existsSync(file)) {
          runs.push(JSON.parse(await readFile(file, 'utf8')) as RunResult);
          hooks.log(`${run.name} seed ${seed}: finished earlier, reusing ${file}`);
          continue;
        }
        const result = await runOne(gpu, config, run, seed, { features, classes, trainData, testData, probeData, duringData }, outDir, hooks);
        if (!result) break;
        await writeFileAtomic(file, JSON.stringify(result) + '\n');
        runs.push(result);
      }
    }
  } finally {
    for (const d of [trainData, testData, probeData, duringData]) d.destroy();
  }
  const corr = correlations(runs);
  return {
    startedAt, finishedAt: new Date().toISOString(), adapter: gpu.adapter, versions: versions(), config, runs,
    correlations: corr, findings: findings(runs, corr),
  };
}

interface RunData {
  features: number;
  classes: number;
  trainData: GpuDataset;
  testData: GpuDataset;
  probeData: GpuDataset;
  duringData: GpuDataset;
}

async function runOne(gpu: Gpu, config: StudyConfig, run: RunConfig, seed: number, d: RunData, outDir: string, hooks: StudyHooks): Promise<RunResult | null> {
  const label = `${run.name} seed ${seed}`;
  const t0 = performance.now();
  const widths = [d.features, ...config.hidden, d.classes];
  const spec = { widths, activation: config.activation, seed };
  const model = await Mlp.create(gpu, spec);
  const p = config.probe;
  const duringTraining: RunResult['duringTraining'] = [];
  const during = p.duringEvery > 0 && hooks.probe !== false ? await hessianOperator(model, d.duringData, { chunkSize: p.chunkSize }) : null;
  let nextProbe = p.duringEvery;
  try {
    const result = await train(model, d.trainData, {
      epochs: config.epochs, batchSize: config.batchSize, optimizer: run.optimizer, seed, logEvery: config.logEvery,
      test: d.testData, evalChunkSize: p.chunkSize, signal: hooks.signal,
      onProgress: (e) => {
        if (e.kind === 'log') hooks.progress?.(label, e.step / e.totalSteps, `epoch ${e.epoch + 1}/${config.epochs}, loss ${e.loss.toFixed(4)}`);
      },
      onCheck: async (step) => {
        if (!during || step < nextProbe) return;
        nextProbe += p.duringEvery;
        const power = await powerIteration(during, { tol: p.tol, maxIter: p.duringMaxIter, seed });
        power.vector.destroy();
        duringTraining.push({ step, lambdaMax: power.eigenvalue });
      },
    });
    result.optimizer.destroy();
    if (result.stopped) {
      hooks.log(`${label}: stopped before finishing; not saved`);
      return null;
    }
    const base = {
      configuration: run.name, optimizer: describeOptimizer(run), seed, steps: result.steps, duringTraining, history: result.history,
    };
    if (result.diverged) {
      hooks.log(`${label}: diverged at step ${result.diverged.step} (${result.diverged.reason})`);
      const nan = { loss: NaN, accuracy: NaN };
      return { ...base, seconds: (performance.now() - t0) / 1000, diverged: result.diverged, train: nan, test: nan, genGap: NaN, sharpness: null, slice: null, density: null };
    }
    const last = result.evals.at(-1)!;
    await saveCheckpoint(join(outDir, 'checkpoints', `${run.name}-s${seed}.ckpt`), {
      step: result.steps, model: spec, params: await model.getParams(), optimizerState: [], meta: { run, seed, data: config.data },
    });
    hooks.progress?.(label, 1, hooks.probe === false ? 'done' : 'probing');
    const probed = hooks.probe === false
      ? { sharpness: null, slice: null, density: null }
      : await probeMinimum(model, d.probeData, p, { seed, twoOverEta: twoOverEta(run) });
    const r: RunResult = {
      ...base,
      seconds: (performance.now() - t0) / 1000,
      diverged: null,
      train: { loss: last.train.loss, accuracy: last.train.accuracy },
      test: { loss: last.test!.loss, accuracy: last.test!.accuracy },
      genGap: last.train.accuracy - last.test!.accuracy,
      sharpness: probed.sharpness,
      slice: probed.slice,
      density: probed.density,
    };
    const sharp = r.sharpness
      ? `, λmax ${r.sharpness.lambdaMax.toFixed(3)} (${r.sharpness.lambdaConverged ? 'converged' : 'NOT converged'})`
      : '';
    hooks.log(`${label}: test acc ${(100 * r.test.accuracy).toFixed(2)}%${sharp}, ${r.seconds.toFixed(1)} s`);
    return r;
  } finally {
    during?.destroy();
    model.destroy();
  }
}

export async function loadSplit(config: StudyConfig): Promise<{ train: Dataset; test: Dataset }> {
  const d = config.data;
  if (d.source === 'mnist-10k') return loadDataset({ source: 'mnist-10k', testFraction: d.testFraction, seed: d.splitSeed });
  if (d.source === 'idx' && !existsSync(d.path)) {
    throw new Error(`config: 'data.path' ${d.path} does not exist; point it at a folder of IDX files (e.g. /usr/share/datasets/fashion-mnist)`);
  }
  return loadDataset(d);
}

/** The SGD stability threshold 2/η; none for adaptive optimisers. */
export function twoOverEta(run: RunConfig): number | null {
  return run.optimizer.kind === 'sgd' ? 2 / run.optimizer.lr : null;
}

function describeOptimizer(run: RunConfig): string {
  const o = run.optimizer;
  const parts = [`lr ${o.lr ?? 1e-3}`];
  if (o.weightDecay) parts.push(`wd ${o.weightDecay}`);
  if (o.kind === 'sgd' && o.momentum) parts.push(`momentum ${o.momentum}`);
  return `${o.kind === 'sgd' ? 'SGD' : o.kind === 'adam' ? 'Adam' : 'AdamW'} (${parts.join(', ')})`;
}

function versions(): Record<string, string> {
  return { node: process.versions.node, engine: '0.1.0' };
}
