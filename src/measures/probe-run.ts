/**
 * Runs the registry's measures on one trained minimum, in order — the one composition behind the
 * study's runs, the CLI's `probe` (checkpoint and --weights), the facade's probe() and the demo.
 * Each measure's output is merged into the run record's fields (sharpness, density, slice, noise);
 * the eigenpairs λmax's solver returns reach the measures after it. A failing measure either
 * throws (the default) or, with onFailure 'record', is returned as the run's failure: the measures
 * after it are skipped, and a record field is kept only when every measure writing it succeeded.
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { BLOCK_SIZE, type Eigenpairs, type Measure, type MeasureContext, type ProbeSettings, type TrainingSettings } from './measure';
import { MEASURES } from './registry';
import type { MeasuredParts, RunFailure, Sharpness, Solvers } from './results';

export type Stage = (text: string) => void | Promise<void>;

export interface MeasureOptions {
  seed: number;
  training: TrainingSettings;
  /** Called as each measure (or solver within one) starts. */
  stage?: Stage;
  /** Finer steps inside a measure (default: stage). */
  detail?: Stage;
  signal?: AbortSignal;
  /** The measures to run (default the registry, MEASURES). */
  measures?: readonly Measure[];
  /** 'throw' (default): a failing measure's error propagates; 'record': it is returned as `failure` and the run keeps what succeeded. */
  onFailure?: 'throw' | 'record';
}

export interface MeasuredMinimum extends MeasuredParts {
  /** The top eigenpairs (topK rows on the block path, λmax's alone on the single path); null if none were found. */
  eigenpairs: Eigenpairs | null;
  /** Hessian-vector products spent (block rows counted). */
  hvps: number;
  /** The measure that failed (onFailure 'record'), else null. */
  failure: RunFailure | null;
}

export async function measureMinimum(model: Mlp, data: GpuDataset, settings: ProbeSettings, options: MeasureOptions): Promise<MeasuredMinimum> {
  const blockSize = settings.blockSize ?? BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`probe blockSize must be a positive integer, got ${blockSize}`);
  if (settings.topK > blockSize) throw new Error(`probe topK (${settings.topK}) must be at most the block size (${blockSize})`);
  const stage = options.stage ?? (() => {});
  const sharpness: Partial<Sharpness> = {};
  const solvers: Partial<Solvers> = {};
  const ctx: MeasureContext = {
    model, data, settings, blockSize, seed: options.seed, training: options.training, eigenpairs: null, sharpness,
    stage, detail: options.detail ?? stage, signal: options.signal,
  };
  const out: MeasuredMinimum = { sharpness: null, density: null, slice: null, eigenpairs: null, hvps: 0, failure: null };
  const parts: Partial<MeasuredParts> = {};
  // A field stands only when every measure that writes it ran and succeeded.
  const incomplete = new Set<keyof MeasuredParts>();
  for (const m of options.measures ?? MEASURES) {
    if (m.enabled && !m.enabled(ctx)) continue;
    if (out.failure) {
      for (const k of m.writes) incomplete.add(k);
      continue;
    }
    try {
      const r = await m.run(ctx);
      Object.assign(sharpness, r.sharpness);
      Object.assign(solvers, r.solvers);
      if (r.density !== undefined) parts.density = r.density;
      if (r.slice !== undefined) parts.slice = r.slice;
      if (r.noise !== undefined) parts.noise = r.noise;
      if (r.eigenpairs) ctx.eigenpairs = r.eigenpairs;
      out.hvps += r.hvps ?? 0;
    } catch (err) {
      if (options.onFailure !== 'record') throw err;
      out.failure = { stage: m.failure, message: (err as Error).message };
      for (const k of m.writes) incomplete.add(k);
    }
  }
  if (Object.keys(sharpness).length > 0) parts.sharpness = { ...sharpness, solvers: solvers as Solvers } as Sharpness;
  for (const k of incomplete) delete parts[k];
  return { ...out, ...parts, eigenpairs: ctx.eigenpairs };
}

/** The stage announcements a probe with these settings makes at most (the demo's "stage k of n"). */
export function plannedStages(settings: ProbeSettings, training: TrainingSettings, measures: readonly Measure[] = MEASURES): number {
  // Planning assumes the eigenpairs a measure may need will be there.
  const planned = { settings, eigenpairs: { values: [], vectors: new Float32Array(0) } };
  return measures.filter((m) => !m.enabled || m.enabled(planned)).reduce((n, m) => n + (m.stages?.(settings, training) ?? 1), 0);
}

/** The run-record fields of a probed minimum (noise only when measured), as the study stores them. */
export function recordFields(m: MeasuredMinimum): MeasuredParts {
  return { sharpness: m.sharpness ?? null, slice: m.slice ?? null, density: m.density ?? null, ...(m.noise ? { noise: m.noise } : {}) };
}

/** A probed minimum as the probe commands and the facade return it: the record fields, the products spent, noise null when off. */
export function probedRecord(m: MeasuredMinimum): Pick<MeasuredMinimum, 'sharpness' | 'density' | 'slice' | 'hvps'> & { noise: NonNullable<MeasuredParts['noise']> | null } {
  return { sharpness: m.sharpness, density: m.density, slice: m.slice, hvps: m.hvps, noise: m.noise ?? null };
}
