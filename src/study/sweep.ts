/**
 * The `sweep` section of the study config: a learning rate × batch size (× optimizer) grid, the
 * Jiang et al. (2019) style of test of sharpness against generalisation. When the section is set,
 * expandSweep() replaces the config's `configurations` by one named configuration per grid cell
 * (each run over every seed of `seeds` by the ordinary study runner), so the report's rank
 * correlations are taken over the whole grid. Pure: no IO, no GPU.
 *
 *   "sweep": {
 *     "optimizers": [{ "kind": "sgd", "lr": [0.03, 0.1] }, { "kind": "adam", "lr": [0.0003, 0.001] }],
 *     "batchSizes": [32, 128]
 *   }
 *
 * Each optimizer entry is an optimizer config (src/optim/optimizer.ts) whose `lr` is a list; an
 * optional `name` prefixes its cells (needed when two entries share a kind). A cell is named
 * `<name or kind>_lr<lr>_b<batch>`, e.g. `sgd_lr0.1_b32`.
 */
import { resolveOptimizerConfig, type OptimizerConfig } from '../optim/optimizer';
import { OPTIMIZER_KINDS, quoted } from '../vocabulary';
import type { RunConfig, StudyConfig } from './config';

export interface SweepOptimizer {
  kind: OptimizerConfig['kind'];
  /** Learning rates of this optimizer's rows of the grid. */
  lr: number[];
  /** Prefix of the cells' names (default: the kind). */
  name?: string;
  [option: string]: unknown;
}

export interface SweepConfig {
  optimizers: SweepOptimizer[];
  batchSizes: number[];
}

const KEYS = ['optimizers', 'batchSizes'];
/** Grids larger than this are almost surely a typo (and days of lavapipe time). */
export const MAX_SWEEP_CELLS = 200;

/** Checks the `sweep` section (null = no sweep); `fail` names the field (config.ts's error format). */
export function validateSweep(s: SweepConfig | null, fail: (field: string, why: string) => never): void {
  if (s === null) return;
  if (typeof s !== 'object' || Array.isArray(s)) return fail('sweep', 'must be an object {"optimizers": [...], "batchSizes": [...]} or null');
  for (const key of Object.keys(s)) {
    if (!KEYS.includes(key)) fail(`sweep.${key}`, `is not a known setting; valid keys of 'sweep': ${KEYS.join(', ')}`);
  }
  if (!Array.isArray(s.batchSizes) || s.batchSizes.length === 0) fail('sweep.batchSizes', `must list at least one batch size, e.g. [32, 128], got ${JSON.stringify(s.batchSizes)}`);
  s.batchSizes.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 1) fail(`sweep.batchSizes[${i}]`, `must be a positive integer, got ${JSON.stringify(b)}`);
  });
  if (new Set(s.batchSizes).size !== s.batchSizes.length) fail('sweep.batchSizes', `lists a batch size twice: ${JSON.stringify(s.batchSizes)}`);
  if (!Array.isArray(s.optimizers) || s.optimizers.length === 0) {
    fail('sweep.optimizers', `must list at least one optimizer with a list of learning rates, e.g. [{"kind": "sgd", "lr": [0.03, 0.1]}]`);
  }
  const prefixes = new Set<string>();
  s.optimizers.forEach((o, i) => {
    const at = `sweep.optimizers[${i}]`;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(at, `must be an optimizer config with a list 'lr', e.g. {"kind": "sgd", "lr": [0.1]}`);
    if (!(OPTIMIZER_KINDS as readonly string[]).includes(o.kind)) fail(`${at}.kind`, `is ${JSON.stringify(o.kind)}; valid values are ${quoted(OPTIMIZER_KINDS)}`);
    if (!Array.isArray(o.lr) || o.lr.length === 0) fail(`${at}.lr`, `must be a non-empty list of learning rates, e.g. [0.03, 0.1], got ${JSON.stringify(o.lr)}`);
    o.lr.forEach((lr, j) => {
      if (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr)) fail(`${at}.lr[${j}]`, `must be a positive number, got ${JSON.stringify(lr)}`);
    });
    if (new Set(o.lr).size !== o.lr.length) fail(`${at}.lr`, `lists a learning rate twice: ${JSON.stringify(o.lr)}`);
    if (o.name !== undefined && (typeof o.name !== 'string' || !/^[\w.-]+$/.test(o.name))) fail(`${at}.name`, 'must be a name of letters, digits, _ . -');
    const prefix = o.name ?? o.kind;
    if (prefixes.has(prefix)) fail(`${at}.name`, `'${prefix}' names two entries' cells alike; give each entry of the same kind its own 'name'`);
    prefixes.add(prefix);
    // Every other option is the optimizer's own, checked by its resolution now rather than when the run starts.
    try {
      resolveOptimizerConfig(cellOptimizer(o, o.lr[0]));
    } catch (err) {
      fail(at, `is invalid: ${(err as Error).message}`);
    }
  });
  const cells = s.batchSizes.length * s.optimizers.reduce((n, o) => n + o.lr.length, 0);
  if (cells > MAX_SWEEP_CELLS) fail('sweep', `has ${cells} cells, more than ${MAX_SWEEP_CELLS}; shorten the lists of learning rates or batch sizes`);
}

/** The grid's configurations, optimizer-major, then learning rate, then batch size. */
export function sweepConfigurations(s: SweepConfig): RunConfig[] {
  return s.optimizers.flatMap((o) => o.lr.flatMap((lr) => s.batchSizes.map((batchSize) => ({
    name: `${o.name ?? o.kind}_lr${lr}_b${batchSize}`, optimizer: cellOptimizer(o, lr), batchSize,
  }))));
}

/** The config with its grid as `configurations` (unchanged without a sweep); validate it first. */
export function expandSweep(config: StudyConfig): StudyConfig {
  return config.sweep ? { ...config, configurations: sweepConfigurations(config.sweep) } : config;
}

function cellOptimizer(o: SweepOptimizer, lr: number): OptimizerConfig {
  const { name: _name, lr: _lrs, ...options } = o;
  return { ...options, lr } as OptimizerConfig;
}
