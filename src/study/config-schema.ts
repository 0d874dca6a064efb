/**
 * The study's configuration as one zod schema: every setting's type, default, description and
 * check, the checks across fields, and unknown keys refused with a "did you mean". config.ts
 * derives the defaults and validation from it, the StudyConfig type is its output, and
 * scripts/write-config-schema.ts writes configs/schema.json from it (config-json-schema.ts).
 * The checks that need the loaded data or the adapter (sample counts, buffer sizes) are in config.ts.
 */
import * as z from 'zod';
import { resolveOptimizerConfig, type OptimizerConfig } from '../optim/optimizer';
import { GRAM_MAX_ROWS } from '../probe/vector-ops';
import { BLOCK_SIZE } from '../measures/measure';
import { didYouMean } from '../util/suggest';
import { ACTIVATIONS, OPTIMIZER_KINDS, DATA_SOURCES, quoted } from '../vocabulary';
import { across, choice, distinct, finite, must, name, nonNegInt, posInt, positive, strict } from './config-fields';
import { EosSchema } from './eos-config';
import { SweepSchema } from './sweep';

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

const RunSchema = strict({
  name: name().describe('Kept as in the reference study: Adam_Default, Sharp_SGD_HighLR, Flat_SGD_LowLR.'),
  optimizer: OptimizerSchema,
  batchSize: posInt().optional().describe("This configuration's batch size, overriding the shared `batchSize` (set by a sweep's grid)."),
});

const oneConfiguration = { error: 'must list at least one configuration' };
const nonEmptySeeds = { error: 'must be a non-empty list of integers' };

const NoiseSchema = strict({
  directions: nonNegInt().default(5).describe('Top eigenvectors used (at most probe.topK are available); 0 turns the whole measurement off.'),
  bulk: nonNegInt().default(5).describe('Random unit directions in the bulk (eigenvectors projected out).'),
  steps: nonNegInt().default(400).describe('Recorded SGD steps of the continuation (0: gradient noise only).'),
  burnIn: nonNegInt().default(50).describe('Steps of the continuation before recording starts.'),
  recordEvery: posInt().default(2).describe('Steps between recorded weights.'),
  batches: z.int(must('an integer ≥ 2')).min(2, must('an integer ≥ 2')).default(20).describe("Batch means for the spread's error."),
}).check(across((n, fail) => {
  if (n.directions === 0) return;
  if (n.directions + n.bulk < 3) {
    fail([], `needs at least 3 directions for a slope (directions ${n.directions} + bulk ${n.bulk}); set directions to 0 to turn it off`);
  }
  const records = Math.floor(n.steps / n.recordEvery);
  if (n.steps > 0 && records < 2 * n.batches) {
    fail(['steps'], `(${n.steps}) recorded every ${n.recordEvery} gives ${records} records, but ${n.batches} batch means need at least ` +
      `${2 * n.batches}; raise steps to ${2 * n.batches * n.recordEvery}, lower recordEvery or batches, or set steps to 0 for gradient noise only`);
  }
})).prefault({}).describe("Gradient noise and the weights' stationary spread along eigen- and bulk directions (src/measures/noise.ts).");

const nonNegative = must('a finite number ≥ 0');
const rescaleAlpha = { error: (iss: { input: unknown }) => `must be a finite number > 0, or 0 to skip the rescaling check; got ${JSON.stringify(iss.input)}` };

const InvariantSchema = strict({
  rho: positive().default(0.5).describe('Adaptive sharpness: the radius of ‖ε ⊘ (|θ| + eta)‖ ≤ rho.'),
  averageRho: positive().default(0.05).describe('Average adaptive sharpness: each weight moved by about averageRho of itself.'),
  eta: z.number(nonNegative).min(0, nonNegative).default(0).describe('Added to |θ| in the adaptive units.'),
  samples: posInt().default(8).describe('Antithetic random perturbations of the average.'),
  steps: nonNegInt().default(3).describe('Ascent steps of the worst case (0: none).'),
  flatnessSamples: nonNegInt().default(16).describe('Probes of the last layer\'s relative flatness (0: off).'),
  rescaleAlpha: z.number(rescaleAlpha).min(0, rescaleAlpha).default(5)
    .describe('Dinh rescaling check on the first finished run: layer rescaleLayer scaled by rescaleAlpha, the next by its inverse, and separately per neuron by factors log-uniform over [1/rescaleAlpha, rescaleAlpha] (0: off; ReLU networks only).'),
  rescaleLayer: nonNegInt().default(0).describe('The rescaled layer (0-based); the next layer takes the inverse.'),
}).prefault({}).describe('Sharpness that survives reparametrisation (src/measures/invariant.ts).');

const blockSize = must(`an integer from 1 to ${GRAM_MAX_ROWS / 2} (directions per block pass)`);

const ProbeSchema = strict({
  samples: nonNegInt().default(0).describe('Training samples the Hessian is measured on (the first N of the train split; 0 = all).'),
  chunkSize: posInt().default(2000).describe('Rows per evaluation pass over the data.'),
  tol: positive().default(1e-3).describe('Relative tolerance of the eigen-solvers.'),
  maxIter: posInt().default(100).describe('Iterations (block passes) of the λmax solver at most.'),
  topK: posInt().default(5).describe('Top eigenvalues reported (and deflated from the trace); at most blockSize.'),
  blockSize: z.int(blockSize).min(1, blockSize).max(GRAM_MAX_ROWS / 2, blockSize).default(BLOCK_SIZE)
    .describe('Directions per block pass of λmax, the top-k, the trace probes and the per-layer λmax (at least one per layer); 1 runs the same block solvers on one direction (power iteration for λmax, then topK must be 1).'),
  traceSamples: posInt().default(16).describe('The trace (deflated Hutchinson): at least this many probes.'),
  traceTarget: positive().default(0.02).describe("Probes are added a block pass at a time until the 95 % interval's half-width is ≤ traceTarget·|trace| ..."),
  traceMaxSamples: posInt().default(64).describe('... or this many probes are spent.'),
  densitySteps: posInt().default(30).describe('Lanczos steps of each spectral-density run.'),
  densityRuns: posInt().default(8).describe('SLQ runs (random start vectors) averaged in the spectral density, advanced together in block passes.'),
  lambdaMin: strict({ pairs: posInt().default(2), steps: posInt().default(40), cycles: posInt().default(3) })
    .check(across((l, fail) => {
      if (l.steps < l.pairs) fail(['steps'], `(${l.steps}) must be at least probe.lambdaMin.pairs (${l.pairs})`);
    })).prefault({})
    .describe("λmin's solver (src/probe/lowest.ts): the smallest `pairs`, by ≤ `cycles` restarted Lanczos runs of `steps` steps."),
  perturbation: strict({ rho: positive().default(0.05), samples: posInt().default(10) }).prefault({})
    .describe('Perturbation sharpness: the mean loss increase over `samples` random perturbations of norm rho·‖θ‖.'),
  slice: strict({ from: finite().default(-1), to: finite().default(1), steps: posInt().default(21) })
    .check(across((s, fail) => {
      if (!(s.from < s.to)) fail([], `needs from < to, got ${s.from}..${s.to}`);
    })).prefault({})
    .describe('The loss along the unit top eigenvector, at `steps` points from `from` to `to`.'),
  duringEvery: nonNegInt().default(125).describe('λmax every this many steps during training (0 = off); a multiple of logEvery.'),
  duringSamples: posInt().default(256).describe('Training samples of the during-training λmax.'),
  duringMaxIter: posInt().default(20).describe('Power iterations of each during-training λmax at most.'),
  noise: NoiseSchema,
  invariant: InvariantSchema,
  noiseScale: z.boolean(must('true or false')).default(true)
    .describe('The gradient noise scale B_simple = tr(Σ)/‖G‖² (McCandlish et al. 2018) from per-sample gradient norms, with its interval (src/measures/noise-scale.ts).'),
}).check(across((p, fail) => {
  if (p.traceMaxSamples < p.traceSamples) fail(['traceMaxSamples'], `(${p.traceMaxSamples}) must be at least probe.traceSamples (${p.traceSamples})`);
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
  seeds: z.array(nonNegInt(), nonEmptySeeds).min(1, nonEmptySeeds).check(distinct('a seed')).default([0, 1, 2]),
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
