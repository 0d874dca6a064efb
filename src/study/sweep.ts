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
import { across, choice, distinct, must, name, nonNegInt, posInt, strict } from '../util/zod-fields';
import { RUN_MEASURE_NAMES } from './training-measures';
import type { RunConfig, StudyConfig } from './config';

const nonEmptySeeds = { error: 'must be a non-empty list of integers' };
/** A list of seeds: the study's, a configuration's or a sweep's cells'. */
export const seedList = () => z.array(nonNegInt(), nonEmptySeeds).min(1, nonEmptySeeds).check(distinct('a seed'));
const oneMeasure = { error: `must list at least one measure (${RUN_MEASURE_NAMES.join(', ')})` };
/** A selection of a run's measures by name (study-measures.ts RUN_MEASURE_NAMES). */
export const measureList = () => z.array(choice(RUN_MEASURE_NAMES), oneMeasure).min(1, oneMeasure).check(distinct('a measure'));

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

const GridSchema = strict({
  optimizers: z.array(SweepOptimizerSchema, optimizers).min(1, optimizers).check(across((list, fail) => {
    const prefixes = new Set<string>();
    list.forEach((o, i) => {
      const prefix = o.name ?? o.kind;
      if (prefixes.has(prefix)) fail([i, 'name'], `'${prefix}' names two entries' cells alike; give each entry of the same kind its own 'name'`);
      prefixes.add(prefix);
    });
  })),
  batchSizes: z.array(posInt(), batches).min(1, batches).check(distinct('a batch size')),
  alongside: z.boolean(must('true or false')).default(false)
    .describe('false: the grid replaces `configurations`; true: its cells run after them, and the correlations pool both.'),
  seeds: seedList().optional().describe("The cells' seeds (default: the study's `seeds`)."),
  measures: measureList().optional().describe("Only these measures for the cells, by name (default: all); e.g. the cheap ones that a verdict's correlations need."),
}).check(across((s, fail) => {
  const cells = s.batchSizes.length * s.optimizers.reduce((n, o) => n + o.lr.length, 0);
  if (cells > MAX_SWEEP_CELLS) fail([], `has ${cells} cells, more than ${MAX_SWEEP_CELLS}; shorten the lists of learning rates or batch sizes`);
}));

export const SweepSchema = GridSchema.nullable().default(() => structuredClone(DEFAULT_GRID))
  .describe('A learning rate × batch size (× optimizer) grid replacing `configurations`, or run alongside them; null = none. ' +
    'The default is a grid around the reference configurations whose converged cells, measured cheaply, give the correlations enough minima.');

export type SweepConfig = z.output<typeof GridSchema>;

/**
 * The default study's grid, alongside the three reference configurations: plain SGD, SGD with
 * momentum and Adam at learning rates that converge within the default budget (on the default
 * data each rate converged at every batch size in a trial on seed 0 or 3, and all 21 cells on seed
 * 3), each at batch 16, 32 and 64, on seed 3 (so no cell repeats a reference run), measured by
 * λmax, the trace, the invariant measures and the gradient noise scale only: the measures the
 * correlations rank, at ~17 s of probing a cell on lavapipe instead of the reference runs' ~65 s.
 */
const DEFAULT_GRID: SweepConfig = {
  optimizers: [
    { kind: 'sgd', lr: [0.2, 0.3, 0.5] },
    { kind: 'sgd', name: 'sgdm', momentum: 0.9, lr: [0.03] },
    { kind: 'adam', lr: [0.001, 0.002, 0.003] },
  ],
  batchSizes: [16, 32, 64],
  alongside: true,
  seeds: [3],
  measures: ['lambda-max', 'trace', 'invariant', 'noise-scale'],
};

/** The grid's configurations, optimizer-major, then learning rate, then batch size. */
export function sweepConfigurations(s: Pick<SweepConfig, 'optimizers' | 'batchSizes' | 'seeds' | 'measures'>): RunConfig[] {
  return s.optimizers.flatMap((o) => o.lr.flatMap((lr) => s.batchSizes.map((batchSize) => ({
    name: `${o.name ?? o.kind}_lr${lr}_b${batchSize}`, optimizer: cellOptimizer(o, lr), batchSize,
    ...(s.seeds ? { seeds: s.seeds } : {}), ...(s.measures ? { measures: s.measures } : {}),
  }))));
}

/**
 * The config with its grid as `configurations` (unchanged without a sweep), or after them when the
 * grid runs alongside, where a cell named like a configuration is refused; validate it first.
 */
export function expandSweep(config: StudyConfig): StudyConfig {
  if (!config.sweep) return config;
  const cells = sweepConfigurations(config.sweep);
  if (!config.sweep.alongside) return { ...config, configurations: cells };
  const clash = cells.find((cell) => config.configurations.some((r) => r.name === cell.name));
  if (clash) {
    throw new Error(`config: 'sweep' has a cell named '${clash.name}' like a configuration; rename that configuration (the grid runs alongside the configurations)`);
  }
  return { ...config, configurations: [...config.configurations, ...cells] };
}

function cellOptimizer(o: SweepOptimizer, lr: number): OptimizerConfig {
  const { name: _name, lr: _lrs, ...options } = o;
  return { ...options, lr } as OptimizerConfig;
}
