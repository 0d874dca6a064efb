/**
 * The study's configuration as one zod schema: every setting's type, default, description and
 * check, the checks across fields, and unknown keys refused with a "did you mean". Each measure's
 * own `probe` settings come from its module (src/measures, through the registry). config.ts
 * derives the defaults and validation from it, the StudyConfig type is its output, and
 * scripts/write-config-schema.ts writes configs/schema.json from it (config-json-schema.ts).
 * The checks that need the loaded data or the adapter (sample counts, buffer sizes) are in config.ts.
 */
import * as z from 'zod';
import { resolveOptimizerConfig, type OptimizerConfig } from '../optim/optimizer';
import { GRAM_MAX_ROWS } from '../probe/vector-ops';
import { BLOCK_SIZE } from '../measures/measure';
import { MEASURE_SETTINGS, MEASURES } from '../measures/registry';
import { didYouMean } from '../util/suggest';
import { ACTIVATIONS, OPTIMIZER_KINDS, DATA_SOURCES, quoted } from '../vocabulary';
import { across, choice, must, name, nonNegInt, posInt, positive, strict } from '../util/zod-fields';
import { EosSchema } from './eos-config';
import { SweepSchema, measureList, seedList } from './sweep';
import { RUN_MEASURE_NAMES } from './training-measures';

/** Directions per block pass by default (the measures' choice, src/measures/measure.ts). */
export { BLOCK_SIZE };

const dataKeys = (source: string) => (key: string, known: string[]) =>
  `is not a setting of source '${source}'${didYouMean(key, known)}; valid keys: ${known.join(', ')}`;
const trainSamples = nonNegInt().optional().describe('Train on the first N samples of the (shuffled) training split only; 0 or absent = all.');
const inUnit = must('in (0, 1)');
const idxPath = { error: 'must name a folder of IDX files' };

/** Its fields depend on the source, so a config file's `data` replaces the default's whole (config.ts mergeConfig). */
const DataSchema = z.discriminatedUnion('source', [
  strict({
    source: z.literal('mnist-10k'),
    testFraction: z.number(inUnit).gt(0, inUnit).lt(1, inUnit).describe('Share of the 10,000 digits held out as the test split.'),
    splitSeed: nonNegInt().describe('Seed of the shuffle before the split.'),
    trainSamples,
  }, dataKeys('mnist-10k')),
  strict({ source: z.literal('mnist'), trainSamples }, dataKeys('mnist')),
  strict({ source: z.literal('idx'), path: z.string(idxPath).min(1, idxPath).describe('A folder of MNIST-format IDX files.'), trainSamples }, dataKeys('idx')),
], {
  error: (iss) => iss.code === 'invalid_union'
    ? `is ${JSON.stringify((iss.input as { source?: unknown }).source)}; valid values are ${quoted(DATA_SOURCES)}`
    : `must be an object with a 'source' (${quoted(DATA_SOURCES)})`,
}).default({ source: 'mnist-10k', testFraction: 0.2, splitSeed: 0, trainSamples: 500 });

/**
 * The optimizer module owns its options and PyTorch's defaults (resolveOptimizerConfig), so the
 * schema names the kind and lets that resolution check the rest now rather than when the run starts.
 */
const OptimizerSchema = z.looseObject({ kind: choice(OPTIMIZER_KINDS) }, { error: `must be an object with a 'kind' (${quoted(OPTIMIZER_KINDS)})` })
  .check(across((o, fail) => {
    let lr: number;
    try {
      lr = resolveOptimizerConfig(o as OptimizerConfig).lr;
    } catch (err) {
      return fail([], `is invalid: ${(err as Error).message}`);
    }
    if (!(lr > 0)) fail(['lr'], `must be a positive number, got ${JSON.stringify(o.lr)}`);
  }))
  .describe('An optimizer config: kind (sgd, adam, adamw), lr, and the kind\'s options (sgd: momentum, nesterov, dampening, ' +
    'weightDecay; adam, adamw: beta1, beta2, eps, weightDecay), with PyTorch\'s defaults.') as unknown as z.ZodType<OptimizerConfig>;

const oneConfiguration = { error: 'must list at least one configuration' };

const RunSchema = strict({
  name: name().describe('Kept as in the reference study: Adam_Default, Sharp_SGD_HighLR, Flat_SGD_LowLR.'),
  optimizer: OptimizerSchema,
  batchSize: posInt().optional().describe("This configuration's batch size, overriding the shared `batchSize` (set by a sweep's grid)."),
  seeds: seedList().optional().describe("This configuration's seeds, overriding the shared `seeds` (set by a sweep's `seeds`)."),
  measures: measureList().optional().describe(
    'Only these measures for this configuration: the during-training ones and those of the minimum, by name ' +
    `(${RUN_MEASURE_NAMES.join(', ')}); absent = all that the probe and eos settings switch on (set by a sweep's \`measures\`).`),
});


const blockSize = must(`an integer from 1 to ${GRAM_MAX_ROWS / 2} (directions per block pass)`);

/** The probe settings no one measure owns: the probe set, the solvers' shared settings, and the during-training λmax. */
const SHARED_PROBE = {
  samples: nonNegInt().default(0).describe('Training samples the Hessian is measured on (the first N of the train split; 0 = all).'),
  chunkSize: posInt().default(2000).describe('Rows per evaluation pass over the data.'),
  tol: positive().default(1e-3).describe('Relative tolerance of the eigen-solvers.'),
  maxIter: posInt().default(100).describe('Iterations (block passes) of the λmax solver at most.'),
  topK: posInt().default(5).describe('Top eigenvalues reported (and deflated from the trace); at most blockSize.'),
  blockSize: z.int(blockSize).min(1, blockSize).max(GRAM_MAX_ROWS / 2, blockSize).default(BLOCK_SIZE)
    .describe('Directions per block pass of λmax, the top-k, the trace probes and the per-layer λmax (at least one per layer); 1 runs the same block solvers on one direction (power iteration for λmax, then topK must be 1).'),
  duringEvery: nonNegInt().default(125).describe('λmax every this many steps during training (0 = off); a multiple of logEvery.'),
  duringSamples: posInt().default(256).describe('Training samples of the during-training λmax.'),
  duringMaxIter: posInt().default(20).describe('Power iterations of each during-training λmax at most.'),
};

/** `probe`: the shared settings, then each measure's own (src/measures, registry order) with its checks. */
const ProbeSchema = strict({ ...SHARED_PROBE, ...MEASURE_SETTINGS }).check(across((p, fail) => {
  for (const m of MEASURES) m.checkSettings?.(p, fail);
  if (p.topK > p.blockSize) fail(['topK'], `(${p.topK}) must be at most probe.blockSize (${p.blockSize}): the top-k are the block solver's Ritz values`);
})).prefault({});

const SHAPE = {
  data: DataSchema,
  hidden: z.array(posInt(), { error: 'must be a list of layer widths, e.g. [256, 256]' }).default([64])
    .describe('Hidden widths; input and output widths come from the data.'),
  activation: choice(ACTIVATIONS).default('relu'),
  batchSize: posInt().default(32),
  train: strict({
    maxEpochs: posInt().default(40).describe('The budget: a run that has not reached lossTarget by then is marked unconverged.'),
    lossTarget: positive().default(0.05).describe('A run stops at the first end of epoch whose full-training-set data loss is ≤ lossTarget.'),
  }).prefault({}).describe('When a run stops (src/train/trainer.ts says why a loss level rather than a change between epochs).'),
  seeds: seedList().default([0, 1, 2]),
  configurations: z.array(RunSchema, oneConfiguration).min(1, oneConfiguration).check(across((runs, fail) => {
    const names = new Set<string>();
    runs.forEach((run, i) => {
      if (names.has(run.name)) fail([i, 'name'], `'${run.name}' is used twice`);
      names.add(run.name);
    });
  })).default([
    { name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } },
    { name: 'Sharp_SGD_HighLR', optimizer: { kind: 'sgd', lr: 0.1 } },
    { name: 'Flat_SGD_LowLR', optimizer: { kind: 'sgd', lr: 1e-3, weightDecay: 1e-2 } },
  ]),
  logEvery: posInt().default(25).describe('Steps between loss readbacks (and divergence checks).'),
  probe: ProbeSchema,
  eos: EosSchema.describe('Edge of stability: full-batch GD traces and the during-training sharpness measures (src/study/eos-config.ts).'),
  reproduction: z.boolean(must('true or false')).default(true)
    .describe('Train every configuration named as in the published table (Adam_Default, Sharp_SGD_HighLR, Flat_SGD_LowLR) for the whole budget, train.maxEpochs, and measure its λmax: the reference study\'s equal-budget protocol, reported beside the published numbers (src/study/reproduction.ts).'),
  sweep: SweepSchema,
};

const acrossSections = across<z.output<z.ZodObject<typeof SHAPE>>>((c, fail) => {
  const p = c.probe;
  if (p.duringEvery % c.logEvery !== 0) {
    // The during-training checks run at log points (the only host readbacks), so any other spacing would drift silently.
    const below = Math.max(c.logEvery, p.duringEvery - (p.duringEvery % c.logEvery));
    fail(['probe', 'duringEvery'], `(${p.duringEvery}) must be a multiple of logEvery (${c.logEvery}): λmax is measured at log points only; ` +
      `use ${below} or ${below + c.logEvery}, or 0 for none`);
  }
  const inv = p.invariant;
  if (inv.rescaleAlpha > 0 && inv.rescaleLayer > c.hidden.length - 1) {
    fail(['probe', 'invariant', 'rescaleLayer'], `is ${inv.rescaleLayer} but must be at most ${c.hidden.length - 1}: the rescaled layer needs a layer ` +
      `after it (this network has ${c.hidden.length + 1} layers, 0-based)`);
  }
});

/** A whole config (every key present after mergeConfig; parse({}) gives the defaults). */
export const StudyConfigSchema = strict(SHAPE).check(acrossSections);

/**
 * A config file: any subset of the settings (the rest from the defaults), and `$schema`, which
 * editors read to check and complete the file (configs/schema.json) and the loader ignores.
 */
export const ConfigFileSchema = strict({
  $schema: z.string().optional().describe('The JSON Schema of this file, for editors: "./schema.json" beside the shipped configs. Ignored by the loader.'),
  ...SHAPE,
}).check(acrossSections);

export type StudyConfig = z.output<typeof StudyConfigSchema>;
