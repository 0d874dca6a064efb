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
import * as z from 'zod';
import { resolveOptimizerConfig, type OptimizerConfig } from '../optim/optimizer';
import { OPTIMIZER_KINDS } from '../vocabulary';
import { across, choice, distinct, must, name, posInt, strict } from '../util/zod-fields';
import type { RunConfig, StudyConfig } from './config';

/** Grids larger than this are almost surely a typo (and days of lavapipe time). */
export const MAX_SWEEP_CELLS = 200;

const message = (text: string) => ({ error: (iss: { input: unknown }) => `${text}, got ${JSON.stringify(iss.input)}` });
const lrs = message('must be a non-empty list of learning rates, e.g. [0.03, 0.1]');
const batches = message('must list at least one batch size, e.g. [32, 128]');
const optimizers = { error: 'must list at least one optimizer with a list of learning rates, e.g. [{"kind": "sgd", "lr": [0.03, 0.1]}]' };

/** An optimizer config (src/optim/optimizer.ts) whose `lr` is a list; its other options are the optimizer's own. */
const SweepOptimizerSchema = z.looseObject({
  kind: choice(OPTIMIZER_KINDS),
  lr: z.array(z.number(must('a positive number')).positive(must('a positive number')), lrs).min(1, lrs).check(distinct('a learning rate'))
    .describe("Learning rates of this optimizer's rows of the grid."),
  name: name().optional().describe("Prefix of the cells' names (default: the kind); needed when two entries share a kind."),
}, { error: `must be an optimizer config with a list 'lr', e.g. {"kind": "sgd", "lr": [0.1]}` }).check(across((o, fail) => {
  // Every other option is the optimizer's own, checked by its resolution now rather than when the run starts.
  try {
    resolveOptimizerConfig(cellOptimizer(o, o.lr[0]));
  } catch (err) {
    fail([], `is invalid: ${(err as Error).message}`);
  }
}));

export type SweepOptimizer = z.output<typeof SweepOptimizerSchema>;

export const SweepSchema = strict({
  optimizers: z.array(SweepOptimizerSchema, optimizers).min(1, optimizers).check(across((list, fail) => {
    const prefixes = new Set<string>();
    list.forEach((o, i) => {
      const prefix = o.name ?? o.kind;
      if (prefixes.has(prefix)) fail([i, 'name'], `'${prefix}' names two entries' cells alike; give each entry of the same kind its own 'name'`);
      prefixes.add(prefix);
    });
  })),
  batchSizes: z.array(posInt(), batches).min(1, batches).check(distinct('a batch size')),
}).check(across((s, fail) => {
  const cells = s.batchSizes.length * s.optimizers.reduce((n, o) => n + o.lr.length, 0);
  if (cells > MAX_SWEEP_CELLS) fail([], `has ${cells} cells, more than ${MAX_SWEEP_CELLS}; shorten the lists of learning rates or batch sizes`);
})).nullable().default(null).describe('A learning rate × batch size (× optimizer) grid replacing `configurations`; null = none.');

export type SweepConfig = NonNullable<z.output<typeof SweepSchema>>;

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
