/**
 * What a measure of a trained minimum is: one module that names the settings it reads, runs on the
 * model and the probe data, returns the part of the run record it writes, and (optionally) its rows
 * of the sharpness table. The registry (registry.ts) lists the measures in run order and
 * probe-run.ts runs them; the study, the CLI's probe command, the facade and the demo all go
 * through it, so a new measure is a module, its test and one registry line.
 *
 * Browser-safe: no Node imports (the demo runs the same measures).
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import type { OptimizerConfig } from '../optim/optimizer';
import type { InvariantSettings } from './invariant';
import type { Eigenpairs, NoiseSettings } from './noise';
import type { MeasuredParts, ProbedRun, Sharpness, Solvers } from './results';
import type { SharpnessRow } from './table';

export type { Eigenpairs } from './noise';

/**
 * The `probe` settings the measures read (the study's config-schema.ts describes and checks each;
 * its StudyConfig['probe'] satisfies this type). Optional sections switch their measure off when absent.
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

export interface Measure {
  /** A short id (unique in the registry). */
  name: string;
  /** The config fields it reads (study/config-schema.ts holds their schema, defaults and checks). */
  settings: readonly string[];
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
   * Its section of the study's report.md, from the probed runs of every configuration (the study
   * report places the registry's sections after its own tables, in registry order); [] to leave itself out.
   */
  studySection?: (runs: readonly ProbedRun[]) => string[];
  /** Its note in the study's one-line summary of a finished run, when it has one and measured. */
  summary?: (r: MeasuredParts) => string | null;
}

/**
 * Directions per block pass: above the ~10 outlier eigenvalues of a 10-class problem's Hessian, so
 * subspace iteration's rate (λ_{k+1}/λ₁)² is small, and 2k within the Gram product's 64 rows.
 */
export const BLOCK_SIZE = 16;

/** The failure stage of the curvature measures of the minimum (they share the sharpness record). */
export const PROBE_FAILURE = 'probe of the minimum';
