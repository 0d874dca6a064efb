/**
 * What a measure of a trained minimum is: one module that names the settings it reads, runs on the
 * model and the probe data, returns the part of the run record it writes, and (optionally) its rows
 * of the sharpness table and its parts of the study report (section, summary columns, note). The registry (registry.ts) lists the measures in run order and
 * probe-run.ts runs them; the study, the CLI's probe command, the facade and the demo all go
 * through it, so a new measure is a module, its test and one registry line.
 *
 * Browser-safe: no Node imports (the demo runs the same measures).
 */
import type * as z from 'zod';
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import type { OptimizerConfig } from '../optim/optimizer';
import type { InvariantSettings } from './invariant';
import type { Eigenpairs, NoiseSettings } from './noise';
import type { MeasuredParts, ProbedRun, Sharpness, Solvers } from './results';
import type { SharpnessRow } from './table';

export type { Eigenpairs } from './noise';

/**
 * The `probe` settings the measures read: the shared solver settings (described in the study's
 * config-schema.ts) and each measure's own (its `schema`); StudyConfig['probe'] satisfies this type.
 * Optional sections switch their measure off when absent.
 */
export interface ProbeSettings {
  chunkSize: number;
  tol: number;
  maxIter: number;
  topK: number;
  traceSamples: number;
  traceTarget: number;
  traceMaxSamples: number;
  densitySteps: number;
  densityRuns: number;
  lambdaMin: { pairs: number; steps: number; cycles: number };
  perturbation: { rho: number; samples: number };
  /** The 1D slice along the top eigenvector; skipped when absent. */
  slice?: { from: number; to: number; steps: number };
  /** The invariant measures (adaptive sharpness, relative flatness); skipped when absent. */
  invariant?: InvariantSettings;
  /** Gradient noise and stationary spread; skipped when absent or directions is 0. */
  noise?: NoiseSettings;
  /** The gradient noise scale (noise-scale.ts); on unless false. */
  noiseScale?: boolean;
  /** Directions per block pass (default BLOCK_SIZE, the config's probe.blockSize); 1 runs the block solvers on one direction (power iteration for λmax). */
  blockSize?: number;
}

/** How the probed model was trained, as far as a measure needs it. */
export interface TrainingSettings {
  /** The run's optimiser; absent for an imported model given no --lr (the noise measure then skips the SGD continuation). */
  optimizer?: OptimizerConfig;
  batchSize: number;
  /** 2/η for SGD (the edge-of-stability threshold), null otherwise. */
  twoOverEta: number | null;
}

export interface MeasureContext {
  model: Mlp;
  /** The probe set: every measure is of the loss on these samples. */
  data: GpuDataset;
  settings: ProbeSettings;
  /** Directions per block pass, resolved (settings.blockSize or its default). */
  blockSize: number;
  seed: number;
  training: TrainingSettings;
  /** The top eigenpairs an earlier measure found (λmax's solver), or null before it ran. */
  eigenpairs: Eigenpairs | null;
  /** The sharpness fields written so far (λmin reads λmax as its scale). */
  sharpness: Readonly<Partial<Sharpness>>;
  /** Awaited as each measure (or solver within one) starts: progress lines, a chance for a page to paint. */
  stage: (text: string) => void | Promise<void>;
  /** Finer steps inside a measure (the noise measure's stages); the study leaves them out of its progress. */
  detail: (text: string) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * A pass a measure spends: over the probe set (forward, gradient, one HVP, a block of k HVPs) or an
 * SGD step at the run's batch size (the noise measure's continuation).
 */
export type ProbePass = { kind: 'forward' | 'gradient' | 'hvp' | 'step' } | { kind: 'block'; k: number };

/** Passes of one kind a measure may spend at most, under a stage name of the study's cost bound. */
export interface ProbeWork {
  stage: string;
  pass: ProbePass;
  count: number;
}

/** What a measure returns: its part of the run record, merged by probe-run.ts. */
export interface MeasureOutput {
  /** Fields of the run's sharpness record (merged shallowly, solvers apart). */
  sharpness?: Partial<Omit<Sharpness, 'solvers'>>;
  /** The solver behind each of its numbers. */
  solvers?: Partial<Solvers>;
  density?: MeasuredParts['density'];
  slice?: MeasuredParts['slice'];
  noise?: MeasuredParts['noise'];
  /** Top eigenpairs for the measures after it. */
  eigenpairs?: Eigenpairs;
  /** Hessian-vector products spent (block rows counted), for the demo's pace line. */
  hvps?: number;
}

/** A measure's own keys of the config's `probe`: each a zod schema with its default, description and checks. */
export type SettingsShape = Record<string, z.ZodType>;

/** One number of a measure on the demo page's panel of the latest run (the page formats and labels it). */
export interface DemoMetric {
  /** The number's data-testid on the page (tests and automation read it by this). */
  id: string;
  /** Its label. */
  name: string;
  /** The number, a list of numbers (shown comma-separated), or nothing when not measured. */
  value: (r: MeasuredParts) => number | readonly number[] | null | undefined;
  /** Significant digits in the page's number format; 'count' shows an integer whole. */
  digits: number | 'count';
  /** Its 95 % interval, shown after it where the measure has one. */
  interval?: (r: MeasuredParts) => { low: number; high: number } | null | undefined;
}

/**
 * A column of the study's summary table (study/report.ts): per row — a configuration's converged
 * runs, or its unconverged ones — the mean over the row's runs of `value` with its 95 % bootstrap
 * interval to `digits` decimals, or for a `list` (top-k) the position-by-position means without one.
 */
export type StudyColumn = {
  /** The column heading (Markdown: a literal | escaped). */
  header: string;
  /** Place among every measure's columns, ascending. */
  order: number;
  digits: number;
} & ({ value: (s: Sharpness) => number } | { list: (s: Sharpness) => number[] });


/** `S`: the shape of its own settings (its `schema`), so the registry can compose them into the config's type. */
export interface Measure<S extends SettingsShape = SettingsShape> {
  /** A short id (unique in the registry). */
  name: string;
  /** The config fields it reads: its own (`schema`) and shared ones (study/config-schema.ts). */
  settings: readonly string[];
  /**
   * The `probe` settings it alone owns, with their defaults, descriptions and checks; the study's
   * config schema composes `probe` from the registry's (registry.ts MEASURE_SETTINGS) and the shared solver settings.
   */
  schema?: S;
  /** Its check across its own settings, run on the whole `probe` once every field passed (paths relative to `probe`). */
  checkSettings?(s: z.output<z.ZodObject<S>>, fail: (path: PropertyKey[], message: string) => void): void;
  /** The run-record fields it writes: a field is kept only when every measure writing it succeeded. */
  writes: readonly (keyof MeasuredParts)[];
  /** The `stage` a failure of it is recorded under on the run. */
  failure: string;
  /** Whether it runs with these settings and what earlier measures found (default: always). */
  enabled?: (ctx: Pick<MeasureContext, 'settings' | 'eigenpairs'>) => boolean;
  run: (ctx: MeasureContext) => Promise<MeasureOutput>;
  /** Its rows of the sharpness table (table.ts), placed by `order` (the table reads λmax, top-k, λmin, trace … whatever the run order). */
  table?: { order: number; rows: (s: Sharpness) => SharpnessRow[] };
  /** How many stage announcements it makes at most, details included (default 1): the demo's "stage k of n". */
  stages?: (settings: ProbeSettings, training: TrainingSettings) => number;
  /** Its lines in a probe's printout beyond the sharpness table (the CLI's probe commands, the imported model's report). */
  lines?: (r: MeasuredParts) => string[];
  /** Its section of one minimum's report.md (the imported model's report), Markdown lines. */
  section?: (r: MeasuredParts) => string[];
  /**
   * Its section of the study's report.md, from the probed runs of every configuration and the
   * study's probe settings; [] to leave itself out. The report places the measures' sections after
   * its own tables by `order`, one scale for these and the study-level measures' sections
   * (study/study-measure.ts `section`), so a study-level section can sit beside the measure it is about.
   */
  studySection?: { order: number; render: (runs: readonly ProbedRun[], settings: ProbeSettings) => string[] };
  /** A plot its study section embeds: the file's name without .svg, and its Vega-Lite spec, or null with nothing to draw. */
  studyChart?: { name: string; spec: (runs: readonly ProbedRun[]) => Record<string, unknown> | null };
  /** Its columns of the study report's summary table, after the shared ones (accuracy, loss, gap). */
  studyColumns?: readonly StudyColumn[];
  /**
   * How its numbers in the summary table were produced — solver, budget, how many runs converged —
   * from the finished, probed runs' records and the probe settings: a sentence or two beneath the
   * table, placed by `order` ('' to say nothing).
   */
  studyNote?: { order: number; text: (s: readonly Sharpness[], settings: ProbeSettings) => string };
  /**
   * The passes it may spend at most with these settings (every solver to its budget): its share of
   * the bound the study states before it starts (study/cost-estimate.ts times each kind once).
   */
  work?: (settings: ProbeSettings, training: TrainingSettings) => ProbeWork[];
  /** Its note in the study's one-line summary of a finished run, when it has one and measured. */
  summary?: (r: MeasuredParts) => string | null;
  /** Its numbers on the demo page's panel of the latest run, in registry order (browser-safe: values, no DOM). */
  demo?: readonly DemoMetric[];
}

/**
 * Directions per block pass: above the ~10 outlier eigenvalues of a 10-class problem's Hessian, so
 * subspace iteration's rate (λ_{k+1}/λ₁)² is small, and 2k within the Gram product's 64 rows.
 */
export const BLOCK_SIZE = 16;

/** The directions per block pass these settings ask for. */
export const blockSizeOf = (s: Pick<ProbeSettings, 'blockSize'>): number => s.blockSize ?? BLOCK_SIZE;

/** The failure stage of the curvature measures of the minimum (they share the sharpness record). */
export const PROBE_FAILURE = 'probe of the minimum';
