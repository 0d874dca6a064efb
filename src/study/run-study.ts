/**
 * Node: the reference study end to end. For each configuration × seed: the train step (train on
 * the GPU, the training measures at its checks — study-measures.ts — and the checkpoint), then the
 * probe step (the registry's measures of the minimum, src/measures/registry.ts); after the runs, the
 * study-level measures (study-measures.ts). The `train` command runs the train step alone. Each finished run is written to
 * runs/<configuration>-s<seed>.json (atomically) so a re-run resumes after the last finished one,
 * and Ctrl-C (an aborted signal) stops cleanly keeping what finished.
 *
 * Safe resume: each saved run records a hash of everything that determines it (runInputs: its
 * configuration, the shared settings, a fingerprint of the data, the engine version). Before any
 * GPU work every saved run in the folder is checked; one made under other inputs is refused, naming
 * what changed, instead of being mixed into a report with a different header.
 * Failure isolation: a probe that throws is recorded on its run (RunResult.failure) and the study goes on.
 * Scale-out: hooks.shard runs one shard's runs of the study (shard.ts); merge-shards.ts combines them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { classCounts, firstSamples, type Dataset } from '../data/dataset';
import { loadDataset } from '../data/load-dataset';
import { train } from '../train/trainer';
import { saveCheckpoint } from '../train/checkpoint-file';
import { measureMinimum, recordFields } from '../measures/probe-run';
import { UNMEASURED } from '../measures/results';
import { MEASURES } from '../measures/registry';
import type { Measure } from '../measures/measure';
import { writeFileAtomic } from '../util/atomic-write';
import { checkStudyDir, claimStudyDir } from '../util/output-dir';
import { formatDuration, plural } from '../util/words';
import { checkBuffersFit, checkDataFits, checkSamples, type RunConfig, type SettingsSource, type StudyConfig } from './config';
import { BLOCK_SIZE } from './config-schema';
import type { DataUsed, RunFailure, RunResult, StudyResult } from './results';
import { describeOptimizer, resolveOptimizerConfig } from '../optim/optimizer';
import { ENGINE_VERSION } from '../version';
import { describeData } from './report';
import { correlations } from './statistics';
import { RESULTS_SCHEMA_VERSION } from './results-schema';
import { roundForStorage } from './rounding';
import { STUDY_MEASURES, TRAINING_MEASURES } from './study-measures';
import type { TrainingCheck, TrainingMeasure } from './study-measure';
import { TrainingClock } from './training-clock';
import { describeCost, estimateStudy } from './cost-estimate';
import { runsEos, shardRuns, type Shard } from './shard';

export interface StudyHooks {
  log: (line: string) => void;
  /** Called as training advances: fraction of this run's budget done, for progress bars. */
  progress?: (run: string, fraction: number, note: string) => void;
  /** Called as each during-training check starts (they can take longer than the steps between them). */
  check?: (run: string, text: string) => void;
  /** Called as each measure of a trained minimum starts (the measures' stage names). */
  stage?: (run: string, text: string) => void;
  signal?: AbortSignal;
  /** false: train and checkpoint only (the `train` command), no sharpness measures. */
  probe?: boolean;
  /** Where the settings came from (the CLI's config file), recorded in the results and stated by the report. */
  settings?: SettingsSource;
  /** Start afresh: clear what the engine wrote in the output folder (after every check has passed) instead of resuming. */
  fresh?: boolean;
  /** The measures of a trained minimum (default the registry, src/measures/registry.ts); whatever one throws is recorded on the run. */
  measures?: readonly Measure[];
  /** Run only this shard's runs and study-level steps (shard.ts); merge-shards.ts combines the shards. */
  shard?: Shard;
  /**
   * Cut each run's training to this many steps (within train.maxEpochs): the smoke tests' way to run
   * a full-size preset end to end in minutes. Recorded in each run's inputs, so a cut run is never
   * reused as a full one.
   */
  maxSteps?: number;
}

export async function runStudy(gpu: Gpu, config: StudyConfig, outDir: string, hooks: StudyHooks): Promise<StudyResult> {
  const startedAt = new Date().toISOString();
  await checkStudyDir(outDir);
  if (hooks.settings?.defaulted.length) {
    hooks.log(`settings not in ${hooks.settings.file} come from the embedded default: ${hooks.settings.defaulted.join(', ')}`);
  }
  const split = await loadSplit(config);
  const features = split.train.features;
  const classes = split.train.classes;
  const shape = { features, classes, trainCount: split.train.count, testCount: split.test.count };
  checkDataFits(config, shape);
  checkBuffersFit(config, shape, gpu.limits);
  await claimStudyDir(outDir, hooks.fresh ?? false);
  const dataHash = fingerprint(split);
  // Every planned run and its saved file, checked before any GPU work.
  const planned = shardRuns(config, hooks.shard).map(({ run, seed }) => {
    const inputs = { ...runInputs(config, run, seed, dataHash, hooks.probe !== false), ...(hooks.maxSteps !== undefined ? { maxSteps: hooks.maxSteps } : {}) };
    const file = join(outDir, 'runs', `${run.name}-s${seed}${hooks.probe === false ? '.trained' : ''}.json`);
    return { run, seed, inputs, hash: hashOf(inputs), file };
  });
  const saved = new Map<string, RunResult>();
  for (const p of planned) {
    if (!existsSync(p.file)) continue;
    let r: RunResult;
    try {
      r = JSON.parse(await readFile(p.file, 'utf8')) as RunResult;
    } catch (err) {
      throw new Error(`${p.file} cannot be read as a saved run (${(err as Error).message}). Fix: delete that file to rerun ` +
        `${p.run.name} seed ${p.seed}, or re-run with --fresh.`);
    }
    if (!savedRunMatches(r, p.hash)) {
      throw new Error(`${p.file} was made with different settings (${changedInputs(r.inputs && currentInputs(r.inputs), p.inputs)}); ` +
        'refusing to mix it into this study. ' +
        `Fix: re-run with --fresh (clears what the engine wrote in ${outDir} first) or choose another --out.`);
    }
    saved.set(p.file, r);
  }
  const pending = planned.filter((p) => !saved.has(p.file)).map((p) => p.run);
  const timing = performance.now();
  const estimate = pending.length > 0 && !hooks.signal?.aborted ? await estimateStudy(gpu, config, split, pending, { probed: hooks.probe !== false, eos: runsEos(hooks.shard) }) : null;
  if (estimate) {
    hooks.log(`${describeCost(estimate, gpu.adapter.description || gpu.adapter.device)} (passes timed and compiled in ${formatDuration((performance.now() - timing) / 1000)})`);
  }
  const trainData = GpuDataset.fromDataset(gpu, split.train);
  const testData = GpuDataset.fromDataset(gpu, split.test);
  const probeSet = firstSamples(split.train, config.probe.samples);
  const probeData = GpuDataset.fromDataset(gpu, probeSet);
  const duringSet = firstSamples(split.train, config.probe.duringSamples);
  const duringData = GpuDataset.fromDataset(gpu, duringSet);
  const data: DataUsed = {
    name: split.train.name, train: split.train.count, test: split.test.count, trainClasses: classCounts(split.train),
    probe: probeSet.count, during: config.probe.duringEvery > 0 ? duringSet.count : null,
  };
  hooks.log(`data: ${describeData(data)}`);
  const runs: RunResult[] = [];
  let toRun = pending.length;
  const missing: StudyResult['missing'] = [];
  const studyMeasured: Partial<StudyResult> = {};
  try {
    for (const p of planned) {
      const { run, seed, file } = p;
      const earlier = saved.get(file);
      if (earlier) {
        runs.push(earlier);
        hooks.log(`${run.name} seed ${seed}: finished earlier, reusing ${file}`);
        continue;
      }
      const result = hooks.signal?.aborted
        ? null
        : await runOne(gpu, config, run, seed, { features, classes, trainData, testData, probeData, duringData }, outDir, hooks);
      if (!result) {
        missing.push({ configuration: run.name, seed });
        continue;
      }
      // Rounded before it is kept, so a resumed study reports exactly what a straight one does.
      const withInputs: RunResult = { ...roundForStorage(result), inputsHash: p.hash, inputs: p.inputs };
      await writeFileAtomic(file, JSON.stringify(withInputs) + '\n');
      runs.push(withInputs);
      // The up-front figure is a bound; the first finished run gives the pace (configurations differ, so a guide).
      if (toRun-- === pending.length && toRun > 0) {
        hooks.log(`${run.name} seed ${seed} took ${formatDuration(result.seconds)}; at that pace the ${plural(toRun, 'remaining run')} take ~${formatDuration(toRun * result.seconds)}`);
      }
    }
    const ctx = { gpu, config, runs, outDir, probeData, trainData, testData, train: split.train, maxSteps: hooks.maxSteps, log: hooks.log, progress: hooks.progress, signal: hooks.signal };
    for (const m of STUDY_MEASURES) {
      const on = hooks.probe !== false && !hooks.signal?.aborted && m.enabled(config, hooks.shard);
      Object.assign(studyMeasured, on ? roundForStorage(await m.run(ctx)) : m.off);
    }
  } finally {
    for (const d of [trainData, testData, probeData, duringData]) d.destroy();
  }
  return completeStudy({
    startedAt, finishedAt: new Date().toISOString(), adapter: gpu.adapter, versions: versions(), config,
    ...(hooks.settings ? { settings: hooks.settings } : {}), data, runs, missing, ...studyMeasured, estimate: estimate && roundForStorage(estimate),
  });
}

/** A study's results without what is derived from its runs (a shard's record, shard.ts). */
export type StudyParts = Omit<StudyResult, 'schemaVersion' | 'correlations'>;

/** The results with the correlations over its runs (numbers only; the report words them): one code path for a whole study and a merge of shards. */
export function completeStudy(parts: StudyParts): StudyResult {
  const { eos, rescaling, ...head } = parts;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION, ...head, correlations: roundForStorage(correlations(parts.runs)), eos,
    ...(rescaling ? { rescaling } : {}),
  };
}

/**
 * Everything that determines a run's numbers: the whole config as the schema has it (so a setting
 * added later is covered without a list to keep), with `configurations`, `seeds` and `sweep`
 * narrowed to this run (its optimizer resolved, so a default made explicit hashes the same), a
 * fingerprint of the data and the engine version. An unprobed run (the `train` command) keeps of
 * the probe and eos settings only what its training reads: the evaluation chunk size.
 */
export function runInputs(config: StudyConfig, run: RunConfig, seed: number, dataHash: string, probed: boolean): Record<string, unknown> {
  const { configurations: _all, seeds: _seeds, sweep: _sweep, probe, eos, ...shared } = config;
  return {
    ...shared, engine: ENGINE_VERSION, dataHash, batchSize: run.batchSize ?? config.batchSize, configuration: run.name,
    optimizer: resolveOptimizerConfig(run.optimizer), seed, measures: probed ? run.measures : undefined,
    probe: probed ? probe : { chunkSize: probe.chunkSize }, eos: probed ? eos : null,
  };
}

/** Whether a saved run was made with the inputs whose hash is `hash` (recorded by this engine or an earlier one). */
export function savedRunMatches(saved: Pick<RunResult, 'inputsHash' | 'inputs'>, hash: string): boolean {
  return saved.inputsHash === hash || (saved.inputs !== undefined && hashOf(currentInputs(saved.inputs)) === hash);
}

/**
 * A saved run's inputs as this engine records them. Runs saved before probe.blockSize was a setting
 * ran with its default and recorded probe.lanczosSteps, which no probe read: they stand for the
 * same numbers, so they resume.
 */
function currentInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const probe = inputs.probe;
  if (!isRecord(probe) || !('lanczosSteps' in probe)) return inputs;
  const { lanczosSteps: _unread, ...rest } = probe;
  return { ...inputs, probe: { blockSize: BLOCK_SIZE, ...rest } };
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** JSON with object keys sorted, so equal inputs hash equally whatever order they were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The leaf settings that differ, as `probe.tol: 0.001 → 0.0001`. */
export function changedInputs(before: object | undefined, now: object): string {
  if (!before) return 'it records no inputs: written by an older engine';
  const changes: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isRecord(a) && isRecord(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], path ? `${path}.${k}` : k);
    } else if (canonicalJson(a) !== canonicalJson(b)) {
      changes.push(`${path}: ${a === undefined ? '(absent)' : canonicalJson(a)} → ${b === undefined ? '(absent)' : canonicalJson(b)}`);
    }
  };
  walk(before, now, '');
  return `changed: ${changes.join('; ')}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A hash of the split's bytes: the same spec over changed files is a different study. */
function fingerprint(split: { train: Dataset; test: Dataset }): string {
  const h = createHash('sha256');
  for (const d of [split.train, split.test]) h.update(`${d.name}:${d.count}x${d.features}/${d.classes}`).update(d.pixels).update(d.labels);
  return h.digest('hex');
}

interface RunData {
  features: number;
  classes: number;
  trainData: GpuDataset;
  testData: GpuDataset;
  probeData: GpuDataset;
  duringData: GpuDataset;
}

/** The measures among these that the configuration runs: its `measures` list when it has one (a grid cell's cheap ones), else all. */
function chosen<M extends { name: string }>(measures: readonly M[], run: RunConfig): readonly M[] {
  return run.measures ? measures.filter((m) => run.measures!.includes(m.name)) : measures;
}

/** One run of the study: the train step, then (when the study probes) the probe step on the trained model. */
async function runOne(gpu: Gpu, config: StudyConfig, run: RunConfig, seed: number, d: RunData, outDir: string, hooks: StudyHooks): Promise<RunResult | null> {
  const label = `${run.name} seed ${seed}`;
  const t0 = performance.now();
  const probing = hooks.probe !== false;
  const trained = await trainStep(gpu, config, run, seed, d, outDir, hooks, probing ? chosen(TRAINING_MEASURES, run) : []);
  if (!trained) return null;
  const { model } = trained;
  try {
    // A diverged run's record is whole: nothing to probe.
    if (!model) return trained.result;
    hooks.progress?.(label, 1, probing ? 'trained' : 'done');
    const probed = probing ? await probeStep(model, d.probeData, config, run, seed, trained.result, hooks) : trained.result;
    const r: RunResult = { ...probed, seconds: (performance.now() - t0) / 1000 };
    const notes = chosen(hooks.measures ?? MEASURES, run).map((m) => m.summary?.(r)).filter((n) => n).map((n) => `, ${n}`).join('');
    hooks.log(`${label}: test acc ${(100 * r.test.accuracy).toFixed(2)}%${notes}, ${r.steps} steps (${r.converged ? 'converged' : 'unconverged'}), ` +
      `${r.trainSeconds!.toFixed(1)} s training + ${(r.seconds - r.trainSeconds!).toFixed(1)} s probing`);
    return r;
  } finally {
    model?.destroy();
  }
}

/**
 * The train step: trains one configuration × seed (with the training measures at its checks: the
 * study's TRAINING_MEASURES when it probes, none for the `train` command), saves its checkpoint and
 * returns its record without the probed fields, with the trained model (the caller destroys it); a
 * diverged run's record is whole and has no model; null when stopped.
 */
async function trainStep(
  gpu: Gpu, config: StudyConfig, run: RunConfig, seed: number, d: RunData, outDir: string, hooks: StudyHooks, measures: readonly TrainingMeasure[],
): Promise<{ result: RunResult; model: Mlp | null } | null> {
  const label = `${run.name} seed ${seed}`;
  const t0 = performance.now();
  const { maxEpochs, lossTarget } = config.train;
  const widths = [d.features, ...config.hidden, d.classes];
  const spec = { widths, activation: config.activation, seed };
  const model = await Mlp.create(gpu, spec);
  const p = config.probe;
  let keep = false;
  const batchSize = run.batchSize ?? config.batchSize;
  const started: { measure: TrainingMeasure; check: TrainingCheck }[] = [];
  let nextProbe = p.duringEvery;
  let failure: RunFailure | null = null;
  let totalSteps = 0;
  const clock = new TrainingClock(p.duringEvery);
  try {
    for (const measure of measures) {
      if (measure.enabled(config)) started.push({ measure, check: await measure.start({ model, config, run, seed, batchSize, trainData: d.trainData, duringData: d.duringData }) });
    }
    const result = await train(model, d.trainData, {
      epochs: maxEpochs, maxSteps: hooks.maxSteps, target: { trainLoss: lossTarget }, batchSize, optimizer: run.optimizer, seed,
      logEvery: config.logEvery, test: d.testData, evalChunkSize: p.chunkSize, signal: hooks.signal,
      onProgress: (e) => {
        if (e.kind === 'log') {
          totalSteps = e.totalSteps;
          hooks.progress?.(label, clock.fraction(e.step, e.totalSteps), `epoch ${e.epoch + 1}/${maxEpochs}, loss ${e.loss.toFixed(4)} (target ${lossTarget})`);
        }
      },
      onCheck: async (step, optimizer) => {
        if (started.length === 0 || step < nextProbe || failure) return;
        nextProbe += p.duringEvery;
        hooks.check?.(label, `${started[0].measure.label(run)} at step ${step} (check ${clock.checks + 1} of at most ${clock.checksIn(totalSteps)})`);
        clock.startCheck();
        for (const { measure, check } of started) {
          try {
            await check.check(step, optimizer);
          } catch (err) {
            // Training goes on; the run records why its curves stop here.
            failure = { stage: `${measure.label(run)} (step ${step})`, message: (err as Error).message };
            hooks.log(`${label}: ${failure.stage} failed: ${failure.message}`);
            break;
          }
        }
        clock.endCheck();
      },
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const optimizerState = await result.optimizer.state();
    result.optimizer.destroy();
    if (result.stopped) {
      hooks.log(`${label}: stopped before finishing; not saved`);
      return null;
    }
    const base = {
      configuration: run.name, optimizer: describeOptimizer(run.optimizer), seed, steps: result.steps, converged: !!result.converged, trainSeconds,
      duringTraining: [], history: result.history,
      ...Object.assign({}, ...started.map((s) => s.check.result())),
    } as Pick<RunResult, 'configuration' | 'optimizer' | 'seed' | 'steps' | 'converged' | 'trainSeconds' | 'duringTraining' | 'history' | 'trainingSharpness'>;
    if (result.diverged) {
      hooks.log(`${label}: diverged at step ${result.diverged.step} (${result.diverged.reason})`);
      const nan = { loss: NaN, accuracy: NaN };
      return {
        result: {
          ...base, seconds: (performance.now() - t0) / 1000, diverged: result.diverged, train: nan, test: nan, genGap: NaN,
          ...UNMEASURED, failure,
        },
        model: null,
      };
    }
    const last = result.evals.at(-1)!;
    await saveCheckpoint(join(outDir, 'checkpoints', `${run.name}-s${seed}.ckpt`), {
      step: result.steps, model: spec, params: await model.getParams(), optimizerState,
      meta: { run, optimizer: resolveOptimizerConfig(run.optimizer), seed, data: config.data, batchSize, train: config.train },
    });
    if (!result.converged) hooks.log(`${label}: train loss ${last.train.loss.toFixed(4)} is still above the target ${lossTarget} after ${plural(maxEpochs, 'epoch')}: unconverged`);
    keep = true;
    return {
      result: {
        ...base,
        seconds: (performance.now() - t0) / 1000,
        diverged: null,
        train: { loss: last.train.loss, accuracy: last.train.accuracy },
        test: { loss: last.test!.loss, accuracy: last.test!.accuracy },
        genGap: last.train.accuracy - last.test!.accuracy,
        ...UNMEASURED,
        failure,
      },
      model,
    };
  } finally {
    for (const s of started) s.check.destroy();
    if (!keep) model.destroy();
  }
}

/**
 * The probe step: the registry's measures on a trained run's minimum (src/measures/probe-run.ts),
 * written into its record. A failing measure is recorded on the run (unless training already
 * recorded one) and the study goes on.
 */
async function probeStep(model: Mlp, data: GpuDataset, config: StudyConfig, run: RunConfig, seed: number, r: RunResult, hooks: StudyHooks): Promise<RunResult> {
  const label = `${run.name} seed ${seed}`;
  const m = await measureMinimum(model, data, config.probe, {
    seed, training: { optimizer: run.optimizer, batchSize: run.batchSize ?? config.batchSize, twoOverEta: twoOverEta(run) },
    stage: (text) => hooks.stage?.(label, text), detail: () => {}, signal: hooks.signal, measures: chosen(hooks.measures ?? MEASURES, run), onFailure: 'record',
  });
  if (m.failure) hooks.log(`${label}: ${m.failure.stage} failed: ${m.failure.message}; recorded on the run, the study goes on`);
  const { failure, ...head } = r;
  return {
    ...head, ...recordFields(m), failure: m.failure ?? failure ?? null,
  };
}

export async function loadSplit(config: StudyConfig): Promise<{ train: Dataset; test: Dataset }> {
  const d = config.data;
  if (d.source === 'idx' && !existsSync(d.path)) {
    throw new Error(`config: 'data.path' ${d.path} does not exist; point it at a folder of IDX files (e.g. /usr/share/datasets/fashion-mnist)`);
  }
  const split = await loadDataset(d.source === 'mnist-10k' ? { source: 'mnist-10k', testFraction: d.testFraction, seed: d.splitSeed } : d);
  const wanted = d.trainSamples ?? 0;
  checkSamples('data.trainSamples', wanted, split.train.count);
  // The split's halves are in stratified order (src/data/split.ts), so its first N samples are a class-balanced subset; the test split is kept whole.
  return { train: firstSamples(split.train, wanted), test: split.test };
}

/** A saved network must fit the data it is measured on; the error names the file it came from. */
export function checkModelFitsData(source: string, widths: readonly number[], data: StudyConfig['data'], d: Pick<Dataset, 'features' | 'classes'>): void {
  if (d.features !== widths[0] || d.classes !== widths.at(-1)) {
    throw new Error(`${source}: the network [${widths.join(', ')}] does not fit the data ${JSON.stringify(data)} ` +
      `(${d.features} features, ${d.classes} classes). Fix: probe it on the data it was trained on.`);
  }
}

/** The SGD stability threshold 2/η; none for adaptive optimisers. */
export function twoOverEta(run: RunConfig): number | null {
  return run.optimizer.kind === 'sgd' ? 2 / run.optimizer.lr : null;
}

function versions(): Record<string, string> {
  return { node: process.versions.node, engine: ENGINE_VERSION };
}
