/**
 * The page's settings: one table of fields that drives the form, the URL parameters
 * (?config=Adam_Default&hidden=16&epochs=1&train=512&test=256&seed=0&autorun=1&probe=1) and their
 * validation, so a field added here is editable, scriptable and checked in one place. Defaults are
 * the Node study's (src/study/config.ts), so an untouched page repeats one of its runs.
 */
import { DEFAULT_CONFIG, mergeConfig, validateConfig, OPTIMIZER_KINDS, type OptimizerConfig } from 'hessian-gpu';
import { DATASETS, type DatasetName } from './datasets';

const PRESETS = DEFAULT_CONFIG.configurations;

export interface Settings {
  config: string;
  optimizer: OptimizerConfig['kind'];
  lr: number;
  wd: number;
  hidden: number;
  depth: number;
  epochs: number;
  batch: number;
  seed: number;
  dataset: DatasetName;
  train: number;
  test: number;
  logEvery: number;
  lambdaEvery: number;
  probeSamples: number;
  maxIter: number;
  topK: number;
  densitySteps: number;
  sliceSteps: number;
  gridSteps: number;
  /** The 2-D landscape's plane: two filter-normalised random directions (Li et al. 2018) or the top two eigenvectors. */
  plane: 'random' | 'eigen';
  /** The landscape's half-width: α and β run from −planeRange to planeRange. */
  planeRange: number;
}

type Kind = 'choice' | 'positive' | 'nonnegative' | 'count' | 'whole';

interface Field {
  key: keyof Settings;
  label: string;
  group: 'run' | 'data' | 'log' | 'probe';
  kind: Kind;
  options?: readonly { value: string; text: string }[];
  hint?: string;
}

const p = DEFAULT_CONFIG.probe;

/**
 * The fields that set the study's `probe` settings, by their path there: their defaults are the
 * config's, the config's schema checks them (its messages, its checks across fields), and the
 * measures run with them (probePatch).
 */
const PROBE_FIELDS = {
  probeSamples: 'samples', maxIter: 'maxIter', topK: 'topK', densitySteps: 'densitySteps', sliceSteps: 'slice.steps',
} as const satisfies Partial<Record<keyof Settings, string>>;
type ProbeField = keyof typeof PROBE_FIELDS;
const probeFields = Object.keys(PROBE_FIELDS) as ProbeField[];

/** The `probe` settings these fields give, as a config patch (nested where the path is). */
export function probePatch(s: Pick<Settings, ProbeField>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of probeFields) {
    const path = PROBE_FIELDS[key].split('.');
    const parent = path.slice(0, -1).reduce((o, k) => (o[k] ??= {}) as Record<string, unknown>, patch);
    parent[path.at(-1)!] = s[key];
  }
  return patch;
}

const probeDefaults = Object.fromEntries(probeFields.map((key) =>
  [key, PROBE_FIELDS[key].split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], p)])) as Pick<Settings, ProbeField>;

export const DEFAULTS: Settings = {
  ...presetFields(PRESETS[0].name),
  hidden: DEFAULT_CONFIG.hidden[0],
  depth: DEFAULT_CONFIG.hidden.length,
  // The study's budget; the page trains all of it (it has no stopping rule).
  epochs: DEFAULT_CONFIG.train.maxEpochs,
  batch: DEFAULT_CONFIG.batchSize,
  seed: DEFAULT_CONFIG.seeds[0],
  dataset: 'mnist-10k',
  train: DEFAULT_CONFIG.data.trainSamples ?? 0,
  test: 0,
  logEvery: DEFAULT_CONFIG.logEvery,
  lambdaEvery: p.duringEvery,
  ...probeDefaults,
  // 41×41 = 1,681 points: the batched loss pass evaluates 16 per pass over the data (probe/slices.ts).
  gridSteps: 41,
  plane: 'random',
  planeRange: p.slice.to,
};

export const FIELDS: readonly Field[] = [
  { key: 'config', label: 'Preset', group: 'run', kind: 'choice', options: PRESETS.map((c) => ({ value: c.name, text: c.name })) },
  { key: 'optimizer', label: 'Optimizer', group: 'run', kind: 'choice', options: OPTIMIZER_KINDS.map((k) => ({ value: k, text: k })) },
  { key: 'lr', label: 'Learning rate', group: 'run', kind: 'positive' },
  { key: 'wd', label: 'Weight decay', group: 'run', kind: 'nonnegative' },
  { key: 'hidden', label: 'Hidden width', group: 'run', kind: 'count' },
  { key: 'depth', label: 'Hidden layers', group: 'run', kind: 'count' },
  { key: 'epochs', label: 'Epochs', group: 'run', kind: 'count' },
  { key: 'batch', label: 'Batch size', group: 'run', kind: 'count' },
  { key: 'seed', label: 'Seed', group: 'run', kind: 'whole', hint: 'initialisation, batch order and probe vectors' },
  { key: 'dataset', label: 'Dataset', group: 'data', kind: 'choice', options: Object.entries(DATASETS).map(([value, d]) => ({ value, text: d.title })) },
  { key: 'train', label: 'Train samples', group: 'data', kind: 'whole', hint: '0 = all' },
  { key: 'test', label: 'Test samples', group: 'data', kind: 'whole', hint: '0 = all' },
  { key: 'logEvery', label: 'Log every (steps)', group: 'log', kind: 'count' },
  { key: 'lambdaEvery', label: 'λmax every (steps)', group: 'log', kind: 'whole', hint: '0 = off' },
  { key: 'probeSamples', label: 'Probe samples', group: 'probe', kind: 'whole', hint: 'train samples the Hessian is measured on, 0 = all' },
  { key: 'maxIter', label: 'Power iterations (max)', group: 'probe', kind: 'count' },
  { key: 'topK', label: 'Top-k eigenvalues', group: 'probe', kind: 'count' },
  { key: 'densitySteps', label: 'Density Lanczos steps', group: 'probe', kind: 'count' },
  { key: 'sliceSteps', label: '1D slice points', group: 'probe', kind: 'count' },
  { key: 'gridSteps', label: '2D grid points per axis', group: 'probe', kind: 'count' },
  {
    key: 'plane', label: '2D plane', group: 'probe', kind: 'choice',
    options: [{ value: 'random', text: 'two random directions (filter-normalised)' }, { value: 'eigen', text: 'top two Hessian eigenvectors' }],
  },
  { key: 'planeRange', label: '2D range ±', group: 'probe', kind: 'positive', hint: 'α and β from −range to +range' },
];

/** The optimizer fields of a preset (weight decay 0 when the preset leaves it unset). */
export function presetFields(name: string): Pick<Settings, 'config' | 'optimizer' | 'lr' | 'wd'> {
  const preset = PRESETS.find((c) => c.name === name);
  if (!preset) throw new Error(`config=${name} is not a preset; valid values: ${PRESETS.map((c) => c.name).join(', ')}`);
  const o = preset.optimizer;
  return { config: preset.name, optimizer: o.kind, lr: o.lr ?? 1e-3, wd: o.weightDecay ?? 0 };
}

/**
 * Settings from URL or form parameters: defaults, then the preset named by `config`, then every
 * other field given. Unknown parameters are ignored (the URL also carries autorun/probe); a bad
 * value throws an error that names the field and what it accepts.
 */
export function parseSettings(params: URLSearchParams): Settings {
  const s: Settings = { ...DEFAULTS, ...presetFields(params.get('config') ?? DEFAULTS.config) };
  for (const field of FIELDS) {
    const text = params.get(field.key);
    if (text === null || text === '' || field.key === 'config') continue;
    (s as unknown as Record<string, unknown>)[field.key] = parseField(field, text);
  }
  // The probe settings the page passes to the measures (src/measures), checked by the study's own schema (topK ≤ probe.blockSize among them).
  validateConfig(mergeConfig(DEFAULT_CONFIG, { probe: probePatch(s) }));
  if (s.plane === 'eigen' && s.topK < 2) throw new Error(`${label('plane')} "top two Hessian eigenvectors" needs ${label('topK')} ≥ 2 (it is ${s.topK})`);
  return s;
}

function parseField(field: Field, text: string): string | number {
  if (field.kind === 'choice') {
    const valid = field.options!.map((o) => o.value);
    if (!valid.includes(text)) throw new Error(`${field.label} (${field.key}): "${text}" is not one of ${valid.join(', ')}`);
    return text;
  }
  const v = Number(text);
  const kind = NUMBERS[field.kind];
  if (!kind.valid(v)) throw new Error(`${field.label} (${field.key}): "${text}" is not valid; it must be ${kind.text}`);
  return v;
}

const NUMBERS: Record<Exclude<Kind, 'choice'>, { valid: (v: number) => boolean; text: string }> = {
  positive: { valid: (v) => Number.isFinite(v) && v > 0, text: 'a finite number > 0' },
  nonnegative: { valid: (v) => Number.isFinite(v) && v >= 0, text: 'a finite number ≥ 0' },
  count: { valid: (v) => Number.isInteger(v) && v >= 1, text: 'an integer ≥ 1' },
  whole: { valid: (v) => Number.isInteger(v) && v >= 0, text: 'an integer ≥ 0' },
};

const label = (key: keyof Settings) => FIELDS.find((f) => f.key === key)!.label;

/** The URL parameters that give these settings: the preset, then only the fields that differ from its defaults. */
export function settingsParams(s: Settings): URLSearchParams {
  const base: Settings = { ...DEFAULTS, ...presetFields(s.config) };
  const params = new URLSearchParams();
  for (const f of FIELDS) if (f.key === 'config' || s[f.key] !== base[f.key]) params.set(f.key, String(s[f.key]));
  return params;
}

/** The fields the reference study fixed: a run matches it only with all of them at their defaults. */
const REFERENCE_FIELDS = ['hidden', 'depth', 'epochs', 'batch', 'dataset', 'train', 'test', 'probeSamples'] as const;

/** Whether a run with these settings was made as the reference study's runs were (its preset untouched, the study's model, data and budget). */
export function hasReferenceSettings(s: Settings): boolean {
  return configurationName(s) !== 'custom' && REFERENCE_FIELDS.every((k) => s[k] === DEFAULTS[k]);
}

/** The engine's optimizer config for these settings. */
export function optimizerConfig(s: Settings): OptimizerConfig {
  return { kind: s.optimizer, lr: s.lr, weightDecay: s.wd } as OptimizerConfig;
}

/** The preset's name while its optimizer fields are untouched (so the reference row applies), else 'custom'. */
export function configurationName(s: Settings): string {
  const preset = presetFields(s.config);
  return preset.optimizer === s.optimizer && preset.lr === s.lr && preset.wd === s.wd ? s.config : 'custom';
}
