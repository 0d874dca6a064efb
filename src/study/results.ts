/**
 * The plain-data results of a study: what results.json holds and report.md, the plots and the demo
 * read. Numbers, with the labels that name them (configurations, optimizer descriptions, solver
 * names, recorded errors); no sentence of the report is stored — report.ts renders them from these.
 */
import type { StudyCost } from './cost-estimate';
import type { AdapterReport } from '../gpu/context';
import type { StepLog, Divergence } from '../train/trainer';
import type { SettingsSource, StudyConfig } from './config';
import type { EosStudy } from './eos';
import type { Reproduction } from './reproduction';
import type { TrainingSharpnessTrace } from './training-sharpness';
import type { NoiseResult, RunFailure, Sharpness } from '../measures/results';

export type { Bounds, GaussNewtonSharpness, RunFailure, Sharpness, Solvers } from '../measures/results';

export interface RunResult {
  configuration: string;
  optimizer: string;
  seed: number;
  steps: number;
  /**
   * Whether training reached the config's train.lossTarget within train.maxEpochs (false: budget
   * spent, or diverged). Absent where no stopping rule applied (the demo, imported models).
   */
  converged?: boolean;
  /** Wall-clock seconds of training (with the λmax checks during it); `seconds` is the whole run (training, checkpoint, probes). */
  trainSeconds?: number;
  seconds: number;
  diverged: Divergence | null;
  train: { loss: number; accuracy: number };
  test: { loss: number; accuracy: number };
  /** Train accuracy − test accuracy. */
  genGap: number;
  sharpness: Sharpness | null;
  duringTraining: { step: number; lambdaMax: number }[];
  /** SGD's mini-batch sharpness or Adam's preconditioned sharpness at the same checks, with its threshold (eos.duringTraining). */
  trainingSharpness?: TrainingSharpnessTrace | null;
  history: StepLog[];
  slice: { alphas: number[]; loss: number[] } | null;
  density: { grid: number[]; density: number[] } | null;
  /** Gradient noise and stationary spread along eigen- and bulk directions (probe.noise); absent when off or not probed. */
  noise?: NoiseResult | null;
  /** A measurement that failed on this run (its message); the study went on. Absent when none did. */
  failure?: RunFailure | null;
  /** Study runs: a hash of everything that determines the run (see runInputs), checked on resume. */
  inputsHash?: string;
  inputs?: Record<string, unknown>;
}

/** A statistic with its bootstrap interval (src/util/bootstrap.ts); low/high NaN when undefined (too few cases). */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface Correlation {
  measure: string;
  target: string;
  /** Converged, finished runs that have both numbers. */
  n: number;
  kendallTau: number;
  spearmanRho: number;
  /** 95 % bootstrap interval of Kendall τ, resampling runs (pairs kept together). */
  tauInterval: Estimate;
}

/** The samples a study actually used (the config asks; these are what the data gave). */
export interface DataUsed {
  /** The training set's name, e.g. 'mnist-10k/train'. */
  name: string;
  train: number;
  test: number;
  /** Samples per class of the training set used. */
  trainClasses: number[];
  /** The probe set (the first probe.samples of the training set). */
  probe: number;
  /** The during-training λmax set; null when there are no during-training checks. */
  during: number | null;
}

export interface StudyResult {
  /**
   * The layout of this file (results-schema.ts RESULTS_SCHEMA_VERSION): 2 since the report's
   * sentences are rendered, not stored. A file without it is version 1 (it also held `answer` and
   * `findings`, which a reader ignores).
   */
  schemaVersion: number;
  startedAt: string;
  finishedAt: string;
  adapter: AdapterReport;
  versions: Record<string, string>;
  config: StudyConfig;
  /** Absent in results written before it was recorded. */
  data?: DataUsed;
  /** The config file and what it left to the embedded default; absent when run without the CLI. */
  settings?: SettingsSource;
  runs: RunResult[];
  /** Runs of the config that did not finish (an interrupted study); empty when complete. */
  missing: { configuration: string; seed: number }[];
  /** Every sharpness measure against every target (statistics.ts correlations), rounded for storage. */
  correlations: Correlation[];
  /** The full-batch edge-of-stability traces (eos.enabled); absent or null when off. */
  eos?: EosStudy | null;
  /** The reference configurations trained for an equal budget and probed for λmax (reproduction.ts); null when off, absent in older results. */
  reproduction?: Reproduction | null;
  /** The Dinh rescaling check on one minimum (rescaling.ts), when probe.invariant.rescaleAlpha > 0. */
  rescaling?: RescalingResult;
  /** The cost bound stated before the runs started (cost-estimate.ts); null when every run had finished earlier, absent in older results. */
  estimate?: StudyCost | null;
}

/** How each sharpness measure moved when one minimum was rescaled without changing its function. */
export interface RescalingResult {
  configuration: string;
  seed: number;
  layer: number;
  alpha: number;
  /**
   * Loss and accuracy on the probe set, before and after the whole-layer rescaling and (neuronAfter)
   * after the per-neuron one (checked equal to float32 tolerance); neuronAfter is absent in results
   * written before the per-neuron rescaling was added.
   */
  loss?: { before: number; after: number; neuronAfter?: number };
  accuracy?: { before: number; after: number; neuronAfter?: number };
  /** The per-neuron factors: log-uniform over [1/alpha, alpha] from this seed (autograd/rescale.ts neuronFactors), and their range. */
  neuronFactors?: { seed: number; min: number; max: number };
  /**
   * Each measure before and after the whole-layer rescaling (`invariant`: built to survive it), and
   * after the per-neuron rescaling (`neuronAfter`, `neuronInvariant`).
   */
  measures?: { name: string; invariant: boolean; before: number; after: number; neuronInvariant?: boolean; neuronAfter?: number }[];
  seconds?: number;
  /** Why the check did not run or failed (a non-ReLU network, no finished run, outputs that moved). */
  error?: string;
}
