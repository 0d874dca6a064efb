/**
 * The study-level measures, beside the per-minimum ones of src/measures: a TrainingMeasure runs
 * while a study run trains, at its checks every probe.duringEvery steps (λmax during training, the
 * mini-batch / preconditioned sharpness); a StudyMeasure runs once per study on its finished runs
 * (the rescaling check, the edge-of-stability traces). study-measures.ts lists them in order and
 * the runner (run-study.ts) iterates those lists. Both kinds run only when the study probes (not
 * for the `train` command). Either may render its own section of report.md from the study record
 * (`section`), which the report (report.ts) places among the per-minimum measures' sections.
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import type { Dataset } from '../data/dataset';
import type { Gpu } from '../gpu/context';
import type { Optimizer } from '../optim/optimizer';
import type { RunConfig, StudyConfig } from './config';
import type { RunResult, StudyResult } from './results';
import type { Shard } from './shard';
import type { WorkItem } from './cost-estimate';

export interface TrainingContext {
  model: Mlp;
  config: StudyConfig;
  run: RunConfig;
  seed: number;
  batchSize: number;
  trainData: GpuDataset;
  /** The during-training samples (probe.duringSamples). */
  duringData: GpuDataset;
}

/** One run's measure in progress: called at each check; a throw stops the run's checks and is recorded on it. */
export interface TrainingCheck {
  check: (step: number, optimizer: Optimizer) => Promise<void>;
  /** Its fields of the run record. */
  result: () => Partial<RunResult>;
  destroy: () => void;
}

/**
 * A study-level measure's section of report.md, from the study record; [] to leave itself out.
 * `order` places it among every measure's sections, on the scale of Measure.studySection
 * (measures/measure.ts), so it can sit beside the per-minimum measure it is about.
 */
export interface StudySection {
  order: number;
  render: (result: StudyResult) => string[];
}

export interface TrainingMeasure {
  name: string;
  /** What a check of it measures, in progress lines and failure records ("λmax during training"). */
  label: (run: RunConfig) => string;
  /** The config fields it reads. */
  settings: readonly string[];
  enabled: (config: StudyConfig) => boolean;
  start: (ctx: TrainingContext) => Promise<TrainingCheck>;
  /** The passes it may spend on one run over `checks` λmax checks (the study's cost bound, cost-estimate.ts). */
  work: (config: StudyConfig, run: RunConfig, checks: number) => WorkItem[];
  section?: StudySection;
}

export interface StudyMeasureContext {
  gpu: Gpu;
  config: StudyConfig;
  /** The study's finished runs (this shard's). */
  runs: RunResult[];
  outDir: string;
  /** The probe set (probe.samples) on the GPU. */
  probeData: GpuDataset;
  /** The training and test splits on the GPU (the runs' own), and the training split on the host. */
  trainData: GpuDataset;
  testData: GpuDataset;
  train: Dataset;
  /** The runs' training cut (StudyHooks.maxSteps, the smoke tests'); a measure that trains applies it too. */
  maxSteps?: number;
  log: (line: string) => void;
  progress?: (label: string, fraction: number, note: string) => void;
  signal?: AbortSignal;
}

export interface StudyMeasure {
  name: string;
  settings: readonly string[];
  /** Whether it runs in this study (a sharded study runs some study-level steps on one shard only). */
  enabled: (config: StudyConfig, shard: Shard | undefined) => boolean;
  /** Its fields of the study record when it does not run. */
  off: Partial<StudyResult>;
  /** Its fields of the study record (rounded for storage by the runner). */
  run: (ctx: StudyMeasureContext) => Promise<Partial<StudyResult>>;
  section?: StudySection;
}
