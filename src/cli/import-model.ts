/**
 * Node side of interop: `probe --weights FILE` (an MLP saved by PyTorch/NumPy, probed with the
 * study's suite on .npy/.npz data or the digits; writes results.json, report.md and SVG plots) and
 * `train … --export FILE.safetensors` (the trained runs' checkpoints as safetensors for PyTorch).
 * Takes options already parsed by src/cli/main.ts.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Mlp } from '../autograd/mlp';
import { ACTIVATIONS, isActivation, quoted } from '../vocabulary';
import type { Gpu } from '../gpu/context';
import { firstSamples } from '../data/dataset';
import { GpuDataset, UNIT_RANGE } from '../data/gpu-dataset';
import {
  arrayDataCount, arrayDataFeatures, firstArraySamples, readDataNpyPair, readDataNpz, uploadArrayData, type ArrayData,
} from '../io/array-data';
import { exportMlpSafetensors, parseLayerMapping, readMlpWeights } from '../io/mlp-weights';
import { loadCheckpoint } from '../train/checkpoint-file';
import { densitySpec, sliceSpec } from '../study/charts';
import { DEFAULT_CONFIG, checkSamples, type StudyConfig } from '../study/config';
import { importedReportMarkdown, importedRun, type ImportedProbe } from '../study/imported-run';
import { measureMinimum, probedRecord } from '../measures/probe-run';
import type { NoiseRun } from '../measures/noise';
import { probeLines } from '../measures/registry';
import { renderSvg } from '../study/render-svg';
import type { RunResult } from '../study/results';
import { loadSplit } from '../study/run-study';
import { writeFileAtomic } from '../util/atomic-write';
import { checkOutputFile, checkOutputFolder } from '../util/output-dir';

export interface ImportProbeOptions {
  /** safetensors or .npz of the MLP's weights. */
  weights: string;
  /** Default: the file's recorded activation (our exports), else relu. */
  activation?: string;
  /** Explicit layer order, "w1,b1;w2,b2;…" (default: from the numbers in the names). */
  layers?: string;
  /** FILE.npz (features + labels), FILE.npy with `labels`, or mnist-10k | mnist | idx:PATH (default: the config's data). */
  data?: string;
  labels?: string;
  /** "MEAN,STD": uint8 features and digits become (p/255 − MEAN)/STD instead of p/255. */
  normalise?: string;
  /** Output folder (default runs/probe-<weights file stem>). */
  out?: string;
  seed?: number;
  /** SGD's η and batch size for probe.noise's continuation (strings from the command line; both or neither). */
  lr?: string;
  batchSize?: string;
}

function parseNoiseRun(o: ImportProbeOptions, seed: number, chunkSize: number): NoiseRun {
  if ((o.lr === undefined) !== (o.batchSize === undefined)) throw new Error('--lr and --batch-size go together: the SGD continuation needs both η and B');
  if (o.lr === undefined) return { batchSize: 0, seed, chunkSize };
  const lr = Number(o.lr);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`--lr must be a positive number (SGD's η), got '${o.lr}'`);
  if (!/^\d+$/.test(o.batchSize!) || Number(o.batchSize) < 1) throw new Error(`--batch-size must be a positive integer, got '${o.batchSize}'`);
  return { optimizer: { kind: 'sgd', lr }, batchSize: Number(o.batchSize), seed, chunkSize };
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new Error(`${what} file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path.`);
  }
}

function parseNormalise(text: string | undefined): { mean: number; std: number } | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[1] > 0)) {
    throw new Error(`--normalise must be MEAN,STD with STD > 0 (e.g. 0.1307,0.3081 for transforms.Normalize on MNIST), got '${text}'`);
  }
  return { mean: parts[0], std: parts[1] };
}

/** mnist-10k (split as the config says, else as the default), mnist, or idx:FOLDER. */
function namedData(spec: string, config: StudyConfig): StudyConfig['data'] {
  if (spec === 'mnist-10k') return config.data.source === 'mnist-10k' ? config.data : DEFAULT_CONFIG.data;
  if (spec === 'mnist') return { source: 'mnist' };
  if (spec.startsWith('idx:')) return { source: 'idx', path: spec.slice(4) };
  throw new Error(`--data '${spec}' is neither a .npz/.npy file nor mnist-10k, mnist or idx:FOLDER`);
}

/** The data to probe on: the caller gets a GpuDataset plus how it was made. */
async function probeData(gpu: Gpu, o: ImportProbeOptions, config: StudyConfig, classes: number): Promise<{ data: GpuDataset; about: ImportedProbe['data'] }> {
  const standardise = parseNormalise(o.normalise);
  const spec = o.data ?? config.data.source;
  const file = /\.(npz|npy)$/i.test(spec);
  if (!file) {
    if (o.labels) throw new Error(`--labels is for a features .npy; --data ${spec} is a named dataset, which brings its own labels`);
    const split = await loadSplit({ ...config, data: namedData(spec, config) });
    checkSamples('probe.samples', config.probe.samples, split.train.count);
    const set = firstSamples(split.train, config.probe.samples);
    const normalisation = standardise ? { scale: 1 / (255 * standardise.std), shift: -standardise.mean / standardise.std } : UNIT_RANGE;
    if (set.classes > classes) throw new Error(`--data ${spec} has ${set.classes} classes but the model has ${classes} outputs.`);
    return {
      data: GpuDataset.fromDataset(gpu, set, normalisation),
      about: {
        source: `${spec} (training split)`, samples: set.count, features: set.features, classes,
        normalisation: standardise ? `pixels mapped to (p/255 − ${standardise.mean})/${standardise.std}` : 'pixels mapped to p/255 (range [0, 1])',
        warnings: [],
      },
    };
  }
  let arrays: ArrayData;
  const options = { classes, standardise };
  if (/\.npz$/i.test(spec)) {
    if (o.labels) throw new Error(`--labels is for a features .npy; ${spec} is an .npz, which holds its labels`);
    arrays = readDataNpz(await readBytes(spec, 'data'), spec, options);
  } else {
    if (!o.labels) throw new Error(`--data ${spec} is a single .npy array: pass its labels with --labels FILE.npy (or save both in one .npz)`);
    arrays = readDataNpyPair(await readBytes(spec, 'data'), spec, await readBytes(o.labels, 'labels'), o.labels, options);
  }
  checkSamples('probe.samples', config.probe.samples, arrayDataCount(arrays));
  const set = firstArraySamples(arrays, config.probe.samples);
  return {
    data: uploadArrayData(gpu, set),
    about: {
      source: basename(spec), samples: arrayDataCount(set), features: arrayDataFeatures(set), classes, normalisation: set.description, warnings: set.warnings,
    },
  };
}

/** Reads, checks and probes an imported model; writes results.json, report.md and the plots into the output folder. */
export async function probeImportedModel(gpu: Gpu, o: ImportProbeOptions, config: StudyConfig, log: (line: string) => void): Promise<{ result: ImportedProbe; files: string[] }> {
  const t0 = performance.now();
  // Flags and the output folder first: a bad --lr or --out should not cost a data load.
  const noiseRun = parseNoiseRun(o, o.seed ?? 0, config.probe.chunkSize);
  const out = o.out ?? join('runs', `probe-${basename(o.weights, extname(o.weights))}`);
  await checkOutputFolder(out, '--out');
  const imported = readMlpWeights(await readBytes(o.weights, 'weights'), o.weights, o.layers ? parseLayerMapping(o.layers) : undefined);
  const activation = o.activation ?? imported.activation ?? 'relu';
  if (!isActivation(activation)) throw new Error(`--activation '${activation}' is not supported; use one of ${quoted(ACTIVATIONS)}`);
  if (o.activation && imported.activation && o.activation !== imported.activation) {
    log(`note: ${o.weights} records activation '${imported.activation}'; using --activation ${o.activation}`);
  }
  log(`${o.weights}: ${imported.widths.join('-')} MLP (${activation}${o.activation || imported.activation ? '' : ', the default: pass --activation if it differs'}), ` +
    `layers ${imported.layers.map((l) => `${l.weight} [${l.outDim}×${l.inDim}] ${l.dtype}`).join(', ')}`);
  for (const note of imported.notes) log(`note: ${note}`);
  const classes = imported.widths.at(-1)!;
  const { data, about } = await probeData(gpu, o, config, classes);
  for (const warning of about.warnings) log(`WARNING: ${warning}`);
  if (data.features !== imported.widths[0]) {
    data.destroy();
    throw new Error(`the model takes ${imported.widths[0]} inputs but the data has ${data.features} features per sample; pass matching --data.`);
  }
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${o.seed}`);
  const model = await Mlp.create(gpu, { widths: imported.widths, activation });
  try {
    model.setParams(imported.params);
    const loss = await model.loss(data, { chunkSize: config.probe.chunkSize });
    log(`loss ${loss.loss.toFixed(4)}, accuracy ${(100 * loss.accuracy).toFixed(2)}% on ${about.samples} samples of ${about.source}; ${about.normalisation}`);
    const stage = (text: string) => log(`probing: ${text}`);
    const m = await measureMinimum(model, data, config.probe, { seed, training: { optimizer: noiseRun.optimizer, batchSize: noiseRun.batchSize, twoOverEta: null }, stage });
    const { noise, sharpness, ...rest } = probedRecord(m);
    const probe = { sharpness: sharpness!, ...rest };
    for (const line of probeLines(m)) log(line);
    const result: ImportedProbe = {
      weights: { file: o.weights, format: imported.format, widths: imported.widths, activation, layers: imported.layers, notes: imported.notes },
      data: about, adapter: gpu.adapter.description || gpu.adapter.device, seed, seconds: (performance.now() - t0) / 1000, loss, probe, noise,
    };
    return { result, files: await writeImportedProbe(result, out) };
  } finally {
    model.destroy();
    data.destroy();
  }
}

export async function writeImportedProbe(result: ImportedProbe, outDir: string): Promise<string[]> {
  const runs = [importedRun(basename(result.weights.file), result.seed, result.seconds, result.loss, result.probe)];
  const charts: string[] = [];
  for (const [name, spec] of [['spectral-density', densitySpec], ['slice-top-eigenvector', sliceSpec]] as const) {
    await writeFileAtomic(join(outDir, `${name}.svg`), await renderSvg(spec(runs)));
    charts.push(`${name}.svg`);
  }
  await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFileAtomic(join(outDir, 'report.md'), importedReportMarkdown(result, charts));
  return ['results.json', 'report.md', ...charts].map((f) => join(outDir, f));
}

/** Called before training too, so a bad --export fails before the expensive part. */
export async function checkExportPath(file: string): Promise<void> {
  if (!/\.safetensors$/i.test(file)) throw new Error(`--export ${file}: the file name must end in .safetensors`);
  await checkOutputFile(file, '--export');
}

/**
 * The finished runs' checkpoints (in <out>/checkpoints) as safetensors: one run → `file`; several
 * → `<file stem>-<configuration>-s<seed>.safetensors` beside it.
 */
export async function exportTrainedRuns(outDir: string, runs: Pick<RunResult, 'configuration' | 'seed' | 'diverged'>[], file: string): Promise<string[]> {
  await checkExportPath(file);
  const finished = runs.filter((r) => !r.diverged);
  if (finished.length === 0) throw new Error(`--export ${file}: no run finished without diverging, so there are no weights to export (see the log above).`);
  const written: string[] = [];
  for (const r of finished) {
    const ckpt = await loadCheckpoint(join(outDir, 'checkpoints', `${r.configuration}-s${r.seed}.ckpt`));
    const target = finished.length === 1 ? file : join(dirname(file), `${basename(file, '.safetensors')}-${r.configuration}-s${r.seed}.safetensors`);
    await writeFileAtomic(target, exportMlpSafetensors(ckpt.model.widths, ckpt.params, ckpt.model.activation));
    written.push(target);
  }
  return written;
}
