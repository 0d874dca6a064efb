/**
 * The study's configuration: data, architecture, training and probe settings, and the three
 * reference configurations. Every value a user may edit lives here (and in configs/*.json,
 * which are copies of these defaults that can be edited). validateConfig() rejects, before any
 * GPU work, unknown keys (with a "did you mean" suggestion), bad values and optimizer settings,
 * naming the field; checkBuffersFit() then checks the largest buffers against the adapter's limits,
 * naming the field to change.
 */
import { resolveOptimizerConfig, type OptimizerConfig } from '../optim/optimizer';
import { paramLayout } from '../autograd/layout';
import { ACTIVATIONS, DATA_SOURCES, OPTIMIZER_KINDS, isActivation, quoted, type Activation } from '../vocabulary';
import { didYouMean } from '../util/suggest';
import { DEFAULT_EOS, validateEos, type EosConfig } from './eos-config';
import { validateSweep, type SweepConfig } from './sweep';
import type { NoiseSettings } from './noise';

export interface RunConfig {
  /** Kept as in the reference study: Adam_Default, Sharp_SGD_HighLR, Flat_SGD_LowLR. */
  name: string;
  optimizer: OptimizerConfig;
  /** This configuration's batch size, overriding the shared `batchSize` (set by a sweep's grid). */
  batchSize?: number;
}

/**
 * Any source: train on the first N samples of its (shuffled) training split only; 0 or absent = all.
 * @inline
 */
interface TrainSubset {
  trainSamples?: number;
}

export interface StudyConfig {
  data:
    | ({ source: 'mnist-10k'; testFraction: number; splitSeed: number } & TrainSubset)
    | ({ source: 'mnist' } & TrainSubset)
    | ({ source: 'idx'; path: string } & TrainSubset);
  /** Hidden widths; input and output widths come from the data. */
  hidden: number[];
  activation: Activation;
  batchSize: number;
  /**
   * When a run stops: at the first end of epoch whose full-training-set data loss is ≤ lossTarget
   * (converged), or after maxEpochs (the budget; the run is then marked unconverged and left out of
   * the correlations). src/train/trainer.ts says why a loss level rather than a change between epochs.
   */
  train: { maxEpochs: number; lossTarget: number };
  seeds: number[];
  configurations: RunConfig[];
  /** Steps between loss readbacks (and divergence checks). */
  logEvery: number;
  probe: {
    /** Training samples the Hessian is measured on (the first N of the train split; 0 = all). */
    samples: number;
    chunkSize: number;
    tol: number;
    maxIter: number;
    topK: number;
    lanczosSteps: number;
    /**
     * The trace (deflated Hutchinson on the block path): at least traceSamples probes, then more, a
     * block pass at a time, until its 95 % interval's half-width is ≤ traceTarget·|trace| or
     * traceMaxSamples probes are spent.
     */
    traceSamples: number;
    traceTarget: number;
    traceMaxSamples: number;
    densitySteps: number;
    /** SLQ runs (random start vectors) averaged in the spectral density, advanced together in block passes. */
    densityRuns: number;
    /** λmin's solver (src/probe/lowest.ts): the smallest `pairs`, by ≤ `cycles` restarted Lanczos runs of `steps` steps. */
    lambdaMin: { pairs: number; steps: number; cycles: number };
    perturbation: { rho: number; samples: number };
    slice: { from: number; to: number; steps: number };
    /** λmax every this many steps during training (0 = off), on `duringSamples` samples. */
    duringEvery: number;
    duringSamples: number;
    duringMaxIter: number;
    /** Gradient noise and the weights' stationary spread along eigen- and bulk directions (src/study/noise.ts). */
    noise: NoiseSettings;
    /**
     * Sharpness that survives reparametrisation (src/study/invariant.ts): adaptive sharpness in
     * units of |θ| + eta — worst case over ‖ε ⊘ (|θ| + eta)‖ ≤ rho by `steps` ascent steps (0: none),
     * average over `samples` antithetic random perturbations moving each weight by ~averageRho of itself; relative flatness of the last layer with `flatnessSamples` probes (0: off);
     * and the Dinh rescaling check on the study's first finished run — layer `rescaleLayer` scaled
     * by rescaleAlpha, the next by its inverse (0: off; ReLU networks only).
     */
    invariant: {
      rho: number;
      averageRho: number;
      eta: number;
      samples: number;
      steps: number;
      flatnessSamples: number;
      rescaleAlpha: number;
      rescaleLayer: number;
    };
  };
  /** Edge of stability: full-batch GD traces and the during-training sharpness measures (src/study/eos-config.ts). */
  eos: EosConfig;
  /** A learning rate × batch size (× optimizer) grid replacing `configurations`; null = none (src/study/sweep.ts). */
  sweep: SweepConfig | null;
}

export const DEFAULT_CONFIG: StudyConfig = {
  data: { source: 'mnist-10k', testFraction: 0.2, splitSeed: 0, trainSamples: 500 },
  hidden: [64],
  activation: 'relu',
  batchSize: 32,
  train: { maxEpochs: 40, lossTarget: 0.05 },
  seeds: [0, 1, 2],
  configurations: [
    { name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } },
    { name: 'Sharp_SGD_HighLR', optimizer: { kind: 'sgd', lr: 0.1 } },
    { name: 'Flat_SGD_LowLR', optimizer: { kind: 'sgd', lr: 1e-3, weightDecay: 1e-2 } },
  ],
  logEvery: 25,
  probe: {
    samples: 0,
    chunkSize: 2000,
    tol: 1e-3,
    maxIter: 100,
    topK: 5,
    lanczosSteps: 30,
    traceSamples: 16,
    traceTarget: 0.02,
    traceMaxSamples: 64,
    densitySteps: 30,
    densityRuns: 8,
    lambdaMin: { pairs: 2, steps: 40, cycles: 3 },
    perturbation: { rho: 0.05, samples: 10 },
    slice: { from: -1, to: 1, steps: 21 },
    duringEvery: 125,
    duringSamples: 256,
    duringMaxIter: 20,
    noise: { directions: 5, bulk: 5, steps: 400, burnIn: 50, recordEvery: 2, batches: 20 },
    invariant: { rho: 0.5, averageRho: 0.05, eta: 0, samples: 8, steps: 3, flatnessSamples: 16, rescaleAlpha: 5, rescaleLayer: 0 },
  },
  eos: DEFAULT_EOS,
  sweep: null,
};

export function validateConfig(c: StudyConfig): void {
  const fail = (field: string, why: string): never => {
    throw new Error(`config: '${field}' ${why}`);
  };
  checkKeys(c, fail);
  const posInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const nonNegInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 0) fail(field, `must be a non-negative integer, got ${JSON.stringify(v)}`);
  };
  const positive = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
  };
  const finite = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, `must be a finite number, got ${JSON.stringify(v)}`);
  };
  if (!(DATA_SOURCES as readonly string[]).includes(c.data.source)) {
    fail('data.source', `is ${JSON.stringify(c.data.source)}; valid values are ${quoted(DATA_SOURCES)}`);
  }
  if (c.data.source === 'mnist-10k') {
    if (!(c.data.testFraction > 0 && c.data.testFraction < 1)) fail('data.testFraction', `must be in (0, 1), got ${JSON.stringify(c.data.testFraction)}`);
    nonNegInt('data.splitSeed', c.data.splitSeed);
  }
  if (c.data.source === 'idx' && (typeof c.data.path !== 'string' || c.data.path === '')) fail('data.path', 'must name a folder of IDX files');
  if (c.data.trainSamples !== undefined) nonNegInt('data.trainSamples', c.data.trainSamples);
  if (!Array.isArray(c.hidden)) fail('hidden', 'must be a list of layer widths, e.g. [256, 256]');
  c.hidden.forEach((w, i) => posInt(`hidden[${i}]`, w));
  if (!isActivation(c.activation)) fail('activation', `is ${JSON.stringify(c.activation)}; valid values are ${quoted(ACTIVATIONS)}`);
  posInt('batchSize', c.batchSize);
  posInt('train.maxEpochs', c.train.maxEpochs);
  positive('train.lossTarget', c.train.lossTarget);
  posInt('logEvery', c.logEvery);
  if (!Array.isArray(c.seeds) || c.seeds.length === 0) fail('seeds', 'must be a non-empty list of integers');
  c.seeds.forEach((s, i) => nonNegInt(`seeds[${i}]`, s));
  if (new Set(c.seeds).size !== c.seeds.length) fail('seeds', `lists a seed twice: ${JSON.stringify(c.seeds)}`);
  if (!Array.isArray(c.configurations) || c.configurations.length === 0) fail('configurations', 'must list at least one configuration');
  const names = new Set<string>();
  c.configurations.forEach((run, i) => {
    const at = `configurations[${i}]`;
    if (typeof run.name !== 'string' || !/^[\w.-]+$/.test(run.name)) fail(`${at}.name`, 'must be a name of letters, digits, _ . -');
    if (names.has(run.name)) fail(`${at}.name`, `'${run.name}' is used twice`);
    names.add(run.name);
    const o = run.optimizer;
    if (!(OPTIMIZER_KINDS as readonly string[]).includes(o.kind)) {
      fail(`${at}.optimizer.kind`, `is ${JSON.stringify(o.kind)}; valid values are ${quoted(OPTIMIZER_KINDS)}`);
    }
    // The optimizer's own resolution (every field, betas and momentum included) runs now, not when the run starts.
    let resolved;
    try {
      resolved = resolveOptimizerConfig(o);
    } catch (err) {
      return fail(`${at}.optimizer`, `is invalid: ${(err as Error).message}`);
    }
    if (!(resolved.lr > 0)) fail(`${at}.optimizer.lr`, `must be a positive number, got ${JSON.stringify(o.lr)}`);
    if (run.batchSize !== undefined) posInt(`${at}.batchSize`, run.batchSize);
  });
  const p = c.probe;
  nonNegInt('probe.samples', p.samples);
  posInt('probe.chunkSize', p.chunkSize);
  positive('probe.tol', p.tol);
  posInt('probe.maxIter', p.maxIter);
  posInt('probe.topK', p.topK);
  posInt('probe.lanczosSteps', p.lanczosSteps);
  if (p.lanczosSteps < p.topK) fail('probe.lanczosSteps', `(${p.lanczosSteps}) must be at least probe.topK (${p.topK})`);
  posInt('probe.traceSamples', p.traceSamples);
  positive('probe.traceTarget', p.traceTarget);
  posInt('probe.traceMaxSamples', p.traceMaxSamples);
  if (p.traceMaxSamples < p.traceSamples) fail('probe.traceMaxSamples', `(${p.traceMaxSamples}) must be at least probe.traceSamples (${p.traceSamples})`);
  posInt('probe.densitySteps', p.densitySteps);
  posInt('probe.densityRuns', p.densityRuns);
  for (const key of ['pairs', 'steps', 'cycles'] as const) posInt(`probe.lambdaMin.${key}`, p.lambdaMin[key]);
  if (p.lambdaMin.steps < p.lambdaMin.pairs) fail('probe.lambdaMin.steps', `(${p.lambdaMin.steps}) must be at least probe.lambdaMin.pairs (${p.lambdaMin.pairs})`);
  positive('probe.perturbation.rho', p.perturbation.rho);
  posInt('probe.perturbation.samples', p.perturbation.samples);
  finite('probe.slice.from', p.slice.from);
  finite('probe.slice.to', p.slice.to);
  posInt('probe.slice.steps', p.slice.steps);
  if (!(p.slice.from < p.slice.to)) fail('probe.slice', `needs from < to, got ${p.slice.from}..${p.slice.to}`);
  nonNegInt('probe.duringEvery', p.duringEvery);
  if (p.duringEvery % c.logEvery !== 0) {
    // The during-training checks run at log points (the only host readbacks), so any other spacing would drift silently.
    const below = Math.max(c.logEvery, p.duringEvery - (p.duringEvery % c.logEvery));
    fail('probe.duringEvery', `(${p.duringEvery}) must be a multiple of logEvery (${c.logEvery}): λmax is measured at log points only; ` +
      `use ${below} or ${below + c.logEvery}, or 0 for none`);
  }
  posInt('probe.duringSamples', p.duringSamples);
  posInt('probe.duringMaxIter', p.duringMaxIter);
  validateEos(c.eos, fail);
  validateSweep(c.sweep, fail);
  validateNoise(p.noise, fail);
  const inv = p.invariant;
  positive('probe.invariant.rho', inv.rho);
  positive('probe.invariant.averageRho', inv.averageRho);
  if (typeof inv.eta !== 'number' || !(inv.eta >= 0) || !Number.isFinite(inv.eta)) fail('probe.invariant.eta', `must be a finite number ≥ 0, got ${JSON.stringify(inv.eta)}`);
  posInt('probe.invariant.samples', inv.samples);
  nonNegInt('probe.invariant.steps', inv.steps);
  nonNegInt('probe.invariant.flatnessSamples', inv.flatnessSamples);
  if (typeof inv.rescaleAlpha !== 'number' || !(inv.rescaleAlpha >= 0) || !Number.isFinite(inv.rescaleAlpha)) {
    fail('probe.invariant.rescaleAlpha', `must be a finite number > 0, or 0 to skip the rescaling check; got ${JSON.stringify(inv.rescaleAlpha)}`);
  }
  nonNegInt('probe.invariant.rescaleLayer', inv.rescaleLayer);
  if (inv.rescaleAlpha > 0 && inv.rescaleLayer > c.hidden.length - 1) {
    fail('probe.invariant.rescaleLayer', `is ${inv.rescaleLayer} but must be at most ${c.hidden.length - 1}: the rescaled layer needs a layer after it ` +
      `(this network has ${c.hidden.length + 1} layers, 0-based)`);
  }
}

function validateNoise(n: NoiseSettings, fail: (field: string, why: string) => never): void {
  for (const key of ['directions', 'bulk', 'steps', 'burnIn'] as const) {
    if (!Number.isInteger(n[key]) || n[key] < 0) fail(`probe.noise.${key}`, `must be a non-negative integer, got ${JSON.stringify(n[key])}`);
  }
  if (!Number.isInteger(n.recordEvery) || n.recordEvery < 1) fail('probe.noise.recordEvery', `must be a positive integer, got ${JSON.stringify(n.recordEvery)}`);
  if (!Number.isInteger(n.batches) || n.batches < 2) fail('probe.noise.batches', `must be an integer ≥ 2, got ${JSON.stringify(n.batches)}`);
  if (n.directions === 0) return;
  if (n.directions + n.bulk < 3) {
    fail('probe.noise', `needs at least 3 directions for a slope (directions ${n.directions} + bulk ${n.bulk}); set directions to 0 to turn it off`);
  }
  const records = Math.floor(n.steps / n.recordEvery);
  if (n.steps > 0 && records < 2 * n.batches) {
    fail('probe.noise.steps', `(${n.steps}) recorded every ${n.recordEvery} gives ${records} records, but ${n.batches} batch means need at least ` +
      `${2 * n.batches}; raise steps to ${2 * n.batches * n.recordEvery}, lower recordEvery or batches, or set steps to 0 for gradient noise only`);
  }
}

const RUN_KEYS = ['name', 'optimizer', 'batchSize'];

/** The keys each data source takes (its fields depend on the source). */
const DATA_KEYS: Record<string, readonly string[]> = {
  'mnist-10k': ['source', 'testFraction', 'splitSeed', 'trainSamples'], mnist: ['source', 'trainSamples'], idx: ['source', 'path', 'trainSamples'],
};

/** Keys of earlier config files, and where their setting lives now. */
const MOVED: Record<string, string> = { epochs: "'train.maxEpochs' (the budget; a run stops earlier once its train loss reaches 'train.lossTarget')" };

/**
 * Unknown keys anywhere in the config are errors: a misspelt key would otherwise leave its default
 * in force without a word. The known keys are those of DEFAULT_CONFIG (and the data source's).
 */
function checkKeys(c: StudyConfig, fail: (field: string, why: string) => never): void {
  const walk = (value: unknown, template: unknown, path: string) => {
    if (!isObject(template)) return;
    if (!isObject(value)) return fail(path, `must be an object like ${JSON.stringify(template)}`);
    const known = Object.keys(template);
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!path && MOVED[key]) fail(at, `is now ${MOVED[key]}`);
      if (!known.includes(key)) fail(at, `is not a known setting${didYouMean(key, known)}; valid keys${path ? ` of '${path}'` : ''}: ${known.join(', ')}`);
      if (key !== 'data' && key !== 'configurations') walk(value[key], (template as Record<string, unknown>)[key], at);
    }
  };
  walk(c, DEFAULT_CONFIG, '');
  if (!isObject(c.data)) fail('data', `must be an object with a 'source' (${quoted(DATA_SOURCES)})`);
  const dataKeys = DATA_KEYS[c.data.source];
  if (dataKeys) {
    for (const key of Object.keys(c.data)) {
      if (!dataKeys.includes(key)) fail(`data.${key}`, `is not a setting of source '${c.data.source}'${didYouMean(key, dataKeys)}; valid keys: ${dataKeys.join(', ')}`);
    }
  }
  if (!Array.isArray(c.configurations)) return;
  c.configurations.forEach((run, i) => {
    const at = `configurations[${i}]`;
    if (!isObject(run)) fail(at, `must be an object like {"name": "Adam_Default", "optimizer": {"kind": "adam"}}`);
    for (const key of Object.keys(run)) {
      if (!RUN_KEYS.includes(key)) fail(`${at}.${key}`, `is not a known setting${didYouMean(key, RUN_KEYS)}; valid keys: ${RUN_KEYS.join(', ')}`);
    }
    if (!isObject(run.optimizer)) fail(`${at}.optimizer`, `must be an object with a 'kind' (${quoted(OPTIMIZER_KINDS)})`);
  });
}

/** What the data gives the network: its input width, classes and sample counts. */
export interface DataShape {
  features: number;
  classes: number;
  trainCount: number;
  testCount: number;
}

/**
 * The largest GPU buffers this config will create, checked against the adapter's limit before any
 * GPU work, so an oversized run fails at start-up with the field to change rather than after hours
 * of finished runs. Mirrors the allocations of Mlp (one flat parameter buffer), Workspace
 * ([z | h] per layer: 2·rows·width floats), GpuDataset (bytes packed four per word) and Lanczos
 * (steps × parameters).
 */
export function checkBuffersFit(c: StudyConfig, shape: DataShape, limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }): void {
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const widths = [shape.features, ...c.hidden, shape.classes];
  const params = paramLayout(widths).size;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const over = (what: string, bytes: number, fix: string) => {
    if (bytes > limit) {
      throw new Error(`config: ${what} needs ${mib(bytes)} in one GPU buffer but this adapter allows ${mib(limit)}. Fix: ${fix}`);
    }
  };
  const widest = widths.slice(1).reduce((best, w, i) => (w > widths[best + 1] ? i : best), 0);
  const widthField = widest < c.hidden.length ? `'hidden[${widest}]' (${c.hidden[widest]})` : `'hidden'`;
  over(`the parameter vector of widths [${widths.join(', ')}] (${params} parameters)`, 4 * params,
    `narrow the layers in 'hidden' (the widest is ${widthField}).`);
  const rowsFit = (perRow: number) => Math.floor(limit / perRow);
  const widest2 = 2 * 4 * Math.max(...widths.slice(1));
  const perRow = Math.max(widest2, 4 * shape.features);
  const batch = Math.max(c.batchSize, ...c.configurations.map((r) => r.batchSize ?? 0));
  over(`a training batch (batchSize ${batch} × width ${Math.max(...widths.slice(1), shape.features)})`, batch * perRow,
    `lower 'batchSize' to at most ${rowsFit(perRow)}, or narrow ${widthField}.`);
  if (batch > shape.trainCount) {
    throw new Error(`config: a batch size of ${batch} exceeds the ${shape.trainCount} training samples. Fix: lower 'batchSize' (or the sweep's 'batchSizes').`);
  }
  const evalRows = Math.min(c.probe.chunkSize, Math.max(shape.trainCount, shape.testCount));
  over(`an evaluation chunk (probe.chunkSize ${c.probe.chunkSize} rows)`, evalRows * perRow,
    `lower 'probe.chunkSize' to at most ${rowsFit(perRow)}, or narrow ${widthField}.`);
  const steps = Math.max(c.probe.lanczosSteps, c.probe.densitySteps, c.probe.lambdaMin.steps);
  over(`the Lanczos basis (${steps} steps × ${params} parameters)`, 4 * steps * params,
    `lower 'probe.lanczosSteps' / 'probe.densitySteps' / 'probe.lambdaMin.steps' to at most ${Math.floor(limit / (4 * params))}, or narrow the layers in 'hidden'.`);
  over(`the training data (${shape.trainCount} samples × ${shape.features} features)`, shape.trainCount * shape.features,
    `use a smaller dataset ('data').`);
}

/**
 * The settings that take "the first N training samples", checked against the training split
 * actually loaded (N = 0 means all where allowed), and the loss target against the data's class
 * count: a request larger than the data would otherwise be clamped without a word, and a target at
 * or above ln(classes) (the loss of a uniform guess) marks a run converged before it learnt anything.
 */
export function checkDataFits(c: StudyConfig, shape: DataShape): void {
  checkSamples('probe.samples', c.probe.samples, shape.trainCount);
  if (c.probe.duringEvery > 0) checkSamples('probe.duringSamples', c.probe.duringSamples, shape.trainCount);
  if (c.eos.enabled) checkSamples('eos.samples', c.eos.samples, shape.trainCount);
  const uniform = Math.log(shape.classes);
  if (c.train.lossTarget >= uniform) {
    throw new Error(`config: 'train.lossTarget' (${c.train.lossTarget}) is not below ln(${shape.classes}) = ${uniform.toFixed(4)}, the loss of a ` +
      `uniform guess over ${shape.classes} classes, so every run would count as converged before learning; use a target such as 0.05`);
  }
}

/** A "first N samples" setting against the samples there are (0 = all, where the setting allows it). */
export function checkSamples(field: string, requested: number, available: number): void {
  if (requested > available) {
    const zeroIsAll = field === 'probe.samples' || field === 'data.trainSamples';
    throw new Error(`config: '${field}' asks for ${requested} samples but there are ${available}; lower it to at most ${available}` +
      `${zeroIsAll ? ', or 0 for all' : ''}`);
  }
}

/** Where a study's settings came from: its config file, and the settings that file left to the embedded default. */
export interface SettingsSource {
  /** The config file, or null for the embedded default alone. */
  file: string | null;
  /** Setting paths (whole sections where a section was absent) that came from the embedded default. */
  defaulted: string[];
}

/**
 * The settings of DEFAULT_CONFIG a config file does not set, as paths: a whole absent section is
 * one path ('eos'), a partly set one lists its missing keys ('probe.invariant.rho'). `configurations`
 * counts as set when a sweep replaces it; `data` is replaced whole, so only its own optional keys can be defaulted.
 */
export function defaultedSettings(patch: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (template: unknown, given: unknown, path: string) => {
    if (given === undefined) {
      out.push(path);
      return;
    }
    if (!isObject(template) || !isObject(given) || path === 'data') return;
    for (const key of Object.keys(template)) walk(template[key], given[key], path ? `${path}.${key}` : key);
  };
  walk(DEFAULT_CONFIG, patch.sweep ? { ...patch, configurations: true } : patch, '');
  return out;
}

/**
 * A user's config file merged over the defaults: nested objects merged, lists replaced, and `data`
 * replaced whole (its fields depend on its source, so mixing two sources' fields would be wrong).
 */
export function mergeConfig(base: StudyConfig, patch: unknown): StudyConfig {
  const merged = deepMerge(base, patch) as StudyConfig;
  const data = isObject(patch) ? patch.data : undefined;
  if (isObject(data) && data.source === undefined) {
    throw new Error(`config: 'data' replaces the default data section whole (its keys depend on the source), so it needs a 'source' ` +
      `(${quoted(DATA_SOURCES)}); e.g. {"source": "mnist-10k", "testFraction": 0.2, "splitSeed": 0, "trainSamples": 1000}`);
  }
  return data === undefined ? merged : { ...merged, data: data as StudyConfig['data'] };
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
    return out;
  }
  return patch;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
