/**
 * Node: a shard's record and the merge of shards into one study (`study --shard`, `merge`). A shard
 * writes shard.json — its part of the results (config and engine version included) and the shard
 * it was — next to its runs/ and checkpoints/. The merge checks every record before writing anything
 * (one study, one way of splitting it, each shard once, none missing), puts the runs back in run
 * order, keeps the edge-of-stability traces of the shard that ran them and the rescaling check a
 * single machine would have made (shard.ts), and derives the correlations by the code a whole study
 * uses: the same numbers as one machine running the config, timings aside.
 * No GPU: the merge reads and writes files only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { checkStudyDir, claimStudyDir } from '../util/output-dir';
import { storedJson } from './rounding';
import { rescalingCandidate } from './rescaling-run';
import { sumCosts } from './cost-estimate';
import { changedInputs, completeStudy, hashOf, type StudyParts } from './run-study';
import type { RunResult, StudyResult } from './results';
import { SHARD_FILE, plannedRuns, shardName, type Shard } from './shard';
import { writeStudyOutputs } from './write-report';

interface ShardRecord extends StudyParts {
  shard: Shard;
}

/** What makes shards one study: the whole config (as resume's run hashes cover it) and the engine version. */
const studyHash = (r: ShardRecord) => hashOf({ config: r.config, engine: r.versions.engine });

/** Writes a finished (or interrupted) shard's record; the derived summaries are left to the merge. */
export async function writeShard(result: StudyResult, shard: Shard, outDir: string): Promise<string> {
  const { schemaVersion: _v, correlations: _c, ...parts } = result;
  const record: ShardRecord = { shard, ...parts };
  const file = join(outDir, SHARD_FILE);
  await writeFileAtomic(file, storedJson(record) + '\n');
  return file;
}

/** Reads and checks the shards in `dirs`, then writes the merged results.json, report.md and plots into `out`. */
export async function mergeShards(dirs: string[], out: string, log: (line: string) => void): Promise<{ result: StudyResult; files: string[] }> {
  if (dirs.length === 0) throw new Error('merge needs the output folders of the shards: merge DIR… --out DIR (the --out of each `study --shard INDEX/COUNT`)');
  await checkStudyDir(out);
  const records: { dir: string; r: ShardRecord }[] = [];
  for (const dir of dirs) records.push({ dir, r: await readShard(dir) });
  const [first] = records;
  const count = first.r.shard.count;
  for (const { dir, r } of records) {
    if (r.shard.count !== count) {
      throw new Error(`${dir} is shard ${shardName(r.shard)} but ${first.dir} is shard ${shardName(first.r.shard)}: the shards split the study ` +
        `different ways. Fix: run every shard with the same COUNT and merge those.`);
    }
    if (studyHash(r) !== studyHash(first.r)) {
      const engines = r.versions.engine !== first.r.versions.engine ? `engine ${first.r.versions.engine} → ${r.versions.engine}; ` : '';
      throw new Error(`${dir} belongs to another study than ${first.dir} (${engines}${changedInputs(first.r.config, r.config)}). ` +
        `Fix: re-run that shard with the same --config and engine version (--fresh), or merge only shards of one study.`);
    }
  }
  const byIndex = new Map<number, string>();
  for (const { dir, r } of records) {
    const other = byIndex.get(r.shard.index);
    if (other !== undefined) {
      throw new Error(`${other} and ${dir} are both shard ${shardName(r.shard)}, so their runs overlap. Fix: pass each shard's folder once.`);
    }
    byIndex.set(r.shard.index, dir);
  }
  const absent = [...Array(count).keys()].filter((i) => !byIndex.has(i));
  if (absent.length) {
    throw new Error(`shard${absent.length > 1 ? 's' : ''} ${absent.map((i) => `${i}/${count}`).join(', ')} of ${count} ` +
      `${absent.length > 1 ? 'are' : 'is'} missing (given: ${records.map(({ dir, r }) => `${shardName(r.shard)} in ${dir}`).join(', ')}). ` +
      `Fix: run \`study --shard INDEX/${count}\` for ${absent.length > 1 ? 'each' : 'it'} with the same --config and add its --out folder.`);
  }
  // One study's config on different files: the runs record the data's fingerprint.
  const fingerprints = new Map<unknown, string>();
  for (const { dir, r } of records) for (const run of r.runs) if (!fingerprints.has(run.inputs?.dataHash)) fingerprints.set(run.inputs?.dataHash, dir);
  if (fingerprints.size > 1) {
    throw new Error(`the shards in ${[...fingerprints.values()].join(' and ')} read different data under the same settings ` +
      `(the files at data.path differ between machines). Fix: give every shard the same data files and re-run the shards that differ with --fresh.`);
  }
  const adapters = new Set(records.map(({ r }) => r.adapter.description || r.adapter.device));
  if (adapters.size > 1) {
    log(`warning: the shards ran on different adapters (${[...adapters].join(', ')}); the report names ${[...adapters][0]}. ` +
      'Numbers are bit-identical to one machine only on one kind of adapter.');
  }

  records.sort((a, b) => a.r.shard.index - b.r.shard.index);
  const key = (c: string, seed: number) => `${c}-s${seed}`;
  const done = new Map<string, RunResult>();
  for (const { r } of records) for (const run of r.runs) done.set(key(run.configuration, run.seed), run);
  const planned = plannedRuns(first.r.config);
  const runs = planned.flatMap(({ run, seed }) => done.get(key(run.name, seed)) ?? []);
  const missing = planned.filter(({ run, seed }) => !done.has(key(run.name, seed))).map(({ run, seed }) => ({ configuration: run.name, seed }));
  const last = records[count - 1].r;
  const estimates = records.flatMap(({ r }) => (r.estimate ? [r.estimate] : []));
  const parts: StudyParts = {
    startedAt: records.map(({ r }) => r.startedAt).sort()[0], finishedAt: records.map(({ r }) => r.finishedAt).sort().at(-1)!,
    adapter: first.r.adapter, versions: first.r.versions, config: first.r.config,
    ...(first.r.settings ? { settings: first.r.settings } : {}), data: first.r.data, runs, missing,
    ...reproduction(records.map(({ r }) => r), planned.map(({ run, seed }) => key(run.name, seed))), eos: last.eos ?? null,
    ...rescaling(records.map(({ r }) => r), runs), estimate: estimates.length ? sumCosts(estimates) : null,
  };
  const result = completeStudy(parts);
  if (missing.length) {
    const shards = [...new Set(missing.map((m) => planned.findIndex(({ run, seed }) => run.name === m.configuration && seed === m.seed) % count))];
    log(`partial: ${missing.length} of ${planned.length} runs are missing; re-run shard${shards.length > 1 ? 's' : ''} ` +
      `${shards.map((i) => `${i}/${count}`).join(', ')} (a re-run resumes), then merge again`);
  }
  await claimStudyDir(out, false);
  return { result, files: await writeStudyOutputs(result, out) };
}

/** Each shard reproduced its own runs: theirs together, in the study's run order (absent when the shards predate it). */
function reproduction(records: ShardRecord[], order: string[]): Pick<StudyParts, 'reproduction'> {
  if (records.every((r) => r.reproduction === undefined)) return {};
  const parts = records.flatMap((r) => (r.reproduction ? [r.reproduction] : []));
  if (parts.length === 0) return { reproduction: null };
  const rank = (r: { configuration: string; seed: number }) => order.indexOf(`${r.configuration}-s${r.seed}`);
  return { reproduction: { epochs: parts[0].epochs, runs: parts.flatMap((p) => p.runs).sort((a, b) => rank(a) - rank(b)) } };
}

/** The rescaling check of the study's candidate run, from the shard that checked it (each checked its own). */
function rescaling(records: ShardRecord[], runs: RunResult[]): Pick<StudyParts, 'rescaling'> {
  const run = rescalingCandidate(runs);
  // No candidate anywhere: every shard recorded the same "no run finished with a probed minimum".
  const found = run ? records.map((r) => r.rescaling).find((x) => x?.configuration === run.configuration && x.seed === run.seed) : records[0].rescaling;
  return found ? { rescaling: found } : {};
}

async function readShard(dir: string): Promise<ShardRecord> {
  const file = join(dir, SHARD_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${dir} holds no ${SHARD_FILE}: it is not the output folder of a \`study --shard INDEX/COUNT\` that has finished. ` +
      'Fix: pass the --out folder of each shard (a shard that stopped early is finished by running its command again).');
  }
  try {
    const r = JSON.parse(text) as ShardRecord;
    if (!r.shard || !r.config || !r.versions || !Array.isArray(r.runs)) throw new Error('it lacks the shard, config, versions or runs field');
    const { index, count } = r.shard;
    if (!Number.isInteger(index) || !Number.isInteger(count) || !(index >= 0 && index < count)) throw new Error(`its shard ${index}/${count} is not INDEX/COUNT with 0 ≤ INDEX < COUNT`);
    return r;
  } catch (err) {
    throw new Error(`${file} cannot be read as a shard's record (${(err as Error).message}). Fix: re-run that shard with --fresh.`);
  }
}
