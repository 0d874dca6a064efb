/**
 * Splitting a study over a batch system's array of jobs (`study --shard INDEX/COUNT`). The runs are
 * enumerated in one fixed order — configurations (a sweep's cells) × their seeds, as the config lists
 * them — and run k belongs to shard k mod COUNT. Shards are numbered from 0 because that is what
 * the batch systems hand out: Slurm's $SLURM_ARRAY_TASK_ID under `--array=0-(COUNT-1)` and a
 * Kubernetes Indexed Job's $JOB_COMPLETION_INDEX. The study-level steps are placed so the merge
 * (merge-shards.ts) needs no GPU: the edge-of-stability traces run on the last shard (never one
 * with more runs than another), and each shard runs the rescaling check on its own candidate, of
 * which the merge keeps the one a single machine would have chosen. Pure: no IO, no GPU.
 */
import type { RunConfig, StudyConfig } from './config';

export interface Shard {
  /** 0 ≤ index < count. */
  index: number;
  count: number;
}

/** The name of the file a shard writes in its output folder, the merge's input. */
export const SHARD_FILE = 'shard.json';

/** Every run of the study, in the order that numbers them (and that a single machine runs them in). */
export function plannedRuns(config: StudyConfig): { run: RunConfig; seed: number }[] {
  return config.configurations.flatMap((run) => (run.seeds ?? config.seeds).map((seed) => ({ run, seed })));
}

/** Whether run number k (in plannedRuns order) is this shard's; every run is, without sharding. */
export function inShard(k: number, shard: Shard | undefined): boolean {
  return !shard || k % shard.count === shard.index;
}

/** This shard's runs, in plannedRuns order (all of them without sharding). */
export function shardRuns(config: StudyConfig, shard: Shard | undefined): { run: RunConfig; seed: number }[] {
  return plannedRuns(config).filter((_, k) => inShard(k, shard));
}

/** Whether this shard runs the edge-of-stability traces: the last one, which never has more runs than another. */
export function runsEos(shard: Shard | undefined): boolean {
  return !shard || shard.index === shard.count - 1;
}

export const shardName = (s: Shard) => `${s.index}/${s.count}`;

/** `--shard INDEX/COUNT` checked against a study of `runs` runs, before any work. */
export function parseShard(text: string, runs: number): Shard {
  const example = 'e.g. --shard 0/4 … --shard 3/4; in a Slurm array (--array=0-3) --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT, ' +
    'in a Kubernetes Indexed Job --shard $JOB_COMPLETION_INDEX/<completions>';
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new Error(`--shard '${text}' must be INDEX/COUNT, two whole numbers with shards numbered from 0 (${example})`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1) throw new Error(`--shard ${text}: COUNT must be at least 1 (${example})`);
  if (index >= count) {
    throw new Error(`--shard ${text}: shards are numbered from 0, so INDEX must be 0 to ${count - 1} ` +
      `(with Slurm, start the array at 0: --array=0-${count - 1}); ${example}`);
  }
  if (count > runs) {
    throw new Error(`--shard ${text}: the study has ${runs} run${runs === 1 ? '' : 's'} (configurations × seeds), ` +
      `so at most ${runs} shard${runs === 1 ? '' : 's'}; lower COUNT to ${runs} or less`);
  }
  return { index, count };
}
