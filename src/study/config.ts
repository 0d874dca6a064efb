/**
 * The study's configuration: data, architecture, training and probe settings, and the three
 * reference configurations. Every value a user may edit lives here (and in configs/*.json,
 * which are copies of these defaults that can be edited); validate() rejects bad values at
 * start-up with a message naming the field.
 */
import type { OptimizerConfig } from '../optim/optimizer';
import type { Activation } from '../autograd/reference';

export interface RunConfig {
  /** Kept as in the reference study: Adam_Default, Sharp_SGD_HighLR, Flat_SGD_LowLR. */
  name: string;
  optimizer: OptimizerConfig;
}

export interface StudyConfig {
  data:
    | { source: 'mnist-10k'; testFraction: number; splitSeed: number }
    | { source: 'mnist' }
    | { source: 'idx'; path: string };
  /** Hidden widths; input and output widths come from the data. */
  hidden: number[];
  activation: Activation;
  batchSize: number;
  epochs: number;
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
    traceSamples: number;
    densitySteps: number;
    perturbation: { rho: number; samples: number };
    slice: { from: number; to: number; steps: number };
    /** λmax every this many steps during training (0 = off), on `duringSamples` samples. */
    duringEvery: number;
    duringSamples: number;
    duringMaxIter: number;
  };
}

export const DEFAULT_CONFIG: StudyConfig = {
  data: { source: 'mnist-10k', testFraction: 0.2, splitSeed: 0 },
  hidden: [64],
  activation: 'relu',
  batchSize: 64,
  epochs: 4,
  seeds: [0, 1],
  configurations: [
    { name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } },
    { name: 'Sharp_SGD_HighLR', optimizer: { kind: 'sgd', lr: 0.1 } },
    { name: 'Flat_SGD_LowLR', optimizer: { kind: 'sgd', lr: 1e-3, weightDecay: 1e-2 } },
  ],
  logEvery: 25,
  probe: {
    samples: 2000,
    chunkSize: 2000,
    tol: 1e-3,
    maxIter: 100,
    topK: 5,
    lanczosSteps: 30,
    traceSamples: 10,
    densitySteps: 40,
    perturbation: { rho: 0.05, samples: 10 },
    slice: { from: -1, to: 1, steps: 21 },
    duringEvery: 125,
    duringSamples: 1000,
    duringMaxIter: 20,
  },
};

export function validateConfig(c: StudyConfig): void {
  const fail = (field: string, why: string): never => {
    throw new Error(`config: '${field}' ${why}`);
  };
  const posInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const nonNegInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 0) fail(field, `must be a non-negative integer, got ${JSON.stringify(v)}`);
  };
  const positive = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
  };
  if (!c.data || !['mnist-10k', 'mnist', 'idx'].includes(c.data.source)) {
    fail('data.source', `is ${JSON.stringify(c.data?.source)}; valid values are 'mnist-10k', 'mnist', 'idx'`);
  }
  if (c.data.source === 'mnist-10k' && !(c.data.testFraction > 0 && c.data.testFraction < 1)) {
    fail('data.testFraction', `must be in (0, 1), got ${JSON.stringify(c.data.testFraction)}`);
  }
  if (c.data.source === 'idx' && (typeof c.data.path !== 'string' || c.data.path === '')) fail('data.path', 'must name a folder of IDX files');
  if (!Array.isArray(c.hidden)) fail('hidden', 'must be a list of layer widths, e.g. [256, 256]');
  c.hidden.forEach((w, i) => posInt(`hidden[${i}]`, w));
  if (!['relu', 'tanh', 'gelu'].includes(c.activation)) fail('activation', `is ${JSON.stringify(c.activation)}; valid values are 'relu', 'tanh', 'gelu'`);
  posInt('batchSize', c.batchSize);
  posInt('epochs', c.epochs);
  posInt('logEvery', c.logEvery);
  if (!Array.isArray(c.seeds) || c.seeds.length === 0) fail('seeds', 'must be a non-empty list of integers');
  c.seeds.forEach((s, i) => nonNegInt(`seeds[${i}]`, s));
  if (!Array.isArray(c.configurations) || c.configurations.length === 0) fail('configurations', 'must list at least one configuration');
  const names = new Set<string>();
  c.configurations.forEach((run, i) => {
    const at = `configurations[${i}]`;
    if (typeof run.name !== 'string' || !/^[\w.-]+$/.test(run.name)) fail(`${at}.name`, 'must be a name of letters, digits, _ . -');
    if (names.has(run.name)) fail(`${at}.name`, `'${run.name}' is used twice`);
    names.add(run.name);
    const o = run.optimizer;
    if (!o || !['sgd', 'adam', 'adamw'].includes(o.kind)) {
      fail(`${at}.optimizer.kind`, `is ${JSON.stringify(o?.kind)}; valid values are 'sgd', 'adam', 'adamw'`);
    }
    if (o.lr !== undefined || o.kind === 'sgd') positive(`${at}.optimizer.lr`, o.lr);
    if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) fail(`${at}.optimizer.weightDecay`, `must be ≥ 0, got ${o.weightDecay}`);
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
  posInt('probe.densitySteps', p.densitySteps);
  positive('probe.perturbation.rho', p.perturbation.rho);
  posInt('probe.perturbation.samples', p.perturbation.samples);
  posInt('probe.slice.steps', p.slice.steps);
  if (!(p.slice.from < p.slice.to)) fail('probe.slice', `needs from < to, got ${p.slice.from}..${p.slice.to}`);
  nonNegInt('probe.duringEvery', p.duringEvery);
  posInt('probe.duringSamples', p.duringSamples);
  posInt('probe.duringMaxIter', p.duringMaxIter);
}

/**
 * A user's config file merged over the defaults: nested objects merged, lists replaced, and `data`
 * replaced whole (its fields depend on its source, so mixing two sources' fields would be wrong).
 */
export function mergeConfig(base: StudyConfig, patch: unknown): StudyConfig {
  const merged = deepMerge(base, patch) as StudyConfig;
  const data = isObject(patch) ? patch.data : undefined;
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
