/**
 * The study's configuration: its defaults and validation, both derived from the zod schema in
 * config-schema.ts (which holds every setting's type, default and check, the measures' own from their modules), the merge of a config
 * file over the defaults, and the checks that need the loaded data or the adapter. validateConfig()
 * rejects, before any GPU work, unknown keys (with a "did you mean" suggestion), bad values and
 * optimizer settings, naming the field; checkDataFits() and checkBuffersFit() then check the sample
 * counts against the data and the largest buffers against the adapter's limits, naming the field to change.
 */
import { paramLayout } from '../autograd/layout';
import { DATA_SOURCES, quoted } from '../vocabulary';
import { FORMER_KEYS, configError } from './config-fields';
import { StudyConfigSchema, type StudyConfig } from './config-schema';

export type { StudyConfig };
export type RunConfig = StudyConfig['configurations'][number];

/** Every setting at its default: the schema's defaults (configs/default.json is a copy). */
export const DEFAULT_CONFIG: StudyConfig = StudyConfigSchema.parse({});

/** Throws `config: 'field' why` for the first problem of a whole config (mergeConfig's result). */
export function validateConfig(c: StudyConfig): void {
  const checked = StudyConfigSchema.safeParse(c);
  if (!checked.success) throw configError(checked.error);
}

/**
 * A config file's settings without the keys of earlier files that no longer do anything (FORMER_KEYS'
 * retired ones), with a warning for each: an old file still runs, and says what to delete.
 * Moved keys stay, for validateConfig to name their new place.
 */
export function withoutRetiredSettings(patch: Record<string, unknown>): { patch: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const out = structuredClone(patch);
  for (const [path, former] of Object.entries(FORMER_KEYS)) {
    if (!('retired' in former)) continue;
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), out);
    const key = keys.at(-1)!;
    if (isObject(parent) && key in parent) {
      delete parent[key];
      warnings.push(`config: '${path}' is no longer a setting (${former.retired}); ignored — remove it from the file`);
    }
  }
  return { patch: out, warnings };
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
 * ([z | h] per layer: 2·rows·width floats), GpuDataset (bytes packed four per word), Lanczos
 * (steps × parameters) and the block solvers (blockSize × parameters).
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
  const steps = Math.max(c.probe.densitySteps, c.probe.lambdaMin.steps);
  over(`the Lanczos basis (${steps} steps × ${params} parameters)`, 4 * steps * params,
    `lower 'probe.densitySteps' / 'probe.lambdaMin.steps' to at most ${Math.floor(limit / (4 * params))}, or narrow the layers in 'hidden'.`);
  over(`a block of directions (probe.blockSize ${c.probe.blockSize} × ${params} parameters)`, 4 * c.probe.blockSize * params,
    `lower 'probe.blockSize' to at most ${Math.floor(limit / (4 * params))}, or narrow the layers in 'hidden'.`);
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
 * counts as set when a sweep replaces it, `sweep` when the file names its configurations; `data` and
 * `sweep` are replaced whole, so they are defaulted whole or not at all.
 */
export function defaultedSettings(patch: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (template: unknown, given: unknown, path: string) => {
    if (given === undefined) {
      out.push(path);
      return;
    }
    if (!isObject(template) || !isObject(given) || path === 'data' || path === 'sweep') return;
    for (const key of Object.keys(template)) walk(template[key], given[key], path ? `${path}.${key}` : key);
  };
  // A sweep that replaces the configurations sets them; configurations of the file's own set the sweep (none, mergeConfig).
  const replacing = patch.sweep && !(isObject(patch.sweep) && patch.sweep.alongside);
  walk(DEFAULT_CONFIG, { ...patch, ...(replacing ? { configurations: true } : {}), ...('configurations' in patch ? { sweep: patch.sweep ?? null } : {}) }, '');
  return out;
}

/**
 * A user's config file merged over the defaults: nested objects merged, lists replaced, `data`
 * replaced whole (its fields depend on its source, so mixing two sources' fields would be wrong),
 * `sweep` replaced whole, and no sweep when the file names its own `configurations` but no sweep;
 * a top-level `$schema` is ignored.
 */
export function mergeConfig(base: StudyConfig, patch: unknown): StudyConfig {
  // `$schema` points editors at configs/schema.json; it is no setting, so it neither reaches the config nor its hash.
  if (isObject(patch) && '$schema' in patch) {
    const { $schema: _schema, ...settings } = patch;
    patch = settings;
  }
  const merged = deepMerge(base, patch) as StudyConfig;
  const data = isObject(patch) ? patch.data : undefined;
  if (isObject(data) && data.source === undefined) {
    throw new Error(`config: 'data' replaces the default data section whole (its keys depend on the source), so it needs a 'source' ` +
      `(${quoted(DATA_SOURCES)}); e.g. {"source": "mnist-10k", "testFraction": 0.2, "splitSeed": 0, "trainSamples": 1000}`);
  }
  const out = data === undefined ? merged : { ...merged, data: data as StudyConfig['data'] };
  // A sweep is replaced whole too (a grid of the user's is never mixed with the default's options),
  // and the default grid surrounds the default configurations: a file naming its own has none unless it says so.
  if (isObject(patch) && 'sweep' in patch) return { ...out, sweep: patch.sweep as StudyConfig['sweep'] };
  if (isObject(patch) && 'configurations' in patch) return { ...out, sweep: null };
  return out;
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
