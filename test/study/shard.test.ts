/**
 * Scale-out through a batch system's array: a tiny sweep run whole and as 2 shards + merge, through
 * the CLI as a Slurm or Kubernetes job runs it, gives the same results.json and report.md, timings
 * aside (and the same plots); the merge refuses shards that do not make one study, before writing.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig } from '../../src/study/config';
import { expandSweep } from '../../src/study/sweep';
import { inShard, parseShard, plannedRuns, runsEos } from '../../src/study/shard';
import { mergeShards } from '../../src/study/merge-shards';

const run = promisify(execFile);
const cli = (...args: string[]) => run('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 1 << 24 })
  .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e: { code: number; stdout: string; stderr: string }) => e);
const temp = () => mkdtempSync(join(tmpdir(), 'hessian-shard-'));

/** 3 sweep cells × 1 seed (uneven shards), with every study-level step on: eos traces, the rescaling check, noise. */
const CONFIG = {
  data: { source: 'mnist-10k', testFraction: 0.9, splitSeed: 0 }, hidden: [8], train: { maxEpochs: 1, lossTarget: 2.0 }, seeds: [0], logEvery: 5,
  probe: {
    samples: 100, chunkSize: 1000, maxIter: 20, topK: 2, traceSamples: 3, densitySteps: 6,
    perturbation: { rho: 0.05, samples: 2 }, slice: { from: -0.5, to: 0.5, steps: 3 }, duringEvery: 10, duringSamples: 100, duringMaxIter: 4,
    noise: { directions: 2, bulk: 1, steps: 20, burnIn: 5, recordEvery: 2, batches: 4 },
    invariant: { samples: 2, steps: 1, flatnessSamples: 2 },
  },
  eos: { enabled: true, etas: [0.5], steps: 4, every: 2, samples: 100, powerIters: 2, duringTraining: true },
  sweep: { optimizers: [{ kind: 'sgd', lr: [0.05, 0.2] }, { kind: 'adam', lr: [0.003] }], batchSizes: [100] },
};

/** Timings, dates and the cost estimate (priced by timings) zeroed: everything else must match to the bit. */
function maskTimings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskTimings);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /^(seconds|trainSeconds|startedAt|finishedAt|estimate)$/.test(k) ? 0 : maskTimings(v)]));
  }
  return value;
}
const maskReport = (md: string) => md.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'DATE').replace(/\d+(\.\d+)? (s|min|days)\b/g, 'T s');

describe('study --shard and merge', { timeout: 900_000 }, () => {
  it('2 shards merged give the single machine\'s results.json and report.md, timings aside', async () => {
    const dir = temp();
    const config = join(dir, 'tiny.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    const [whole, a, b, merged] = ['whole', 'shard0', 'shard1', 'merged'].map((d) => join(dir, d));
    for (const args of [['--out', whole], ['--shard', '0/2', '--out', a], ['--shard', '1/2', '--out', b]]) {
      const r = await cli('study', '--config', config, ...args);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readdirSync(join(a, 'runs')).sort()).toEqual(['adam_lr0.003_b100-s0.json', 'sgd_lr0.05_b100-s0.json']);
    expect(readdirSync(join(b, 'runs'))).toEqual(['sgd_lr0.2_b100-s0.json']);
    expect(existsSync(join(a, 'results.json'))).toBe(false);
    const m = await cli('merge', a, b, '--out', merged);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toContain('merged 2 shards: 3 runs');

    const read = (d: string, f: string) => readFileSync(join(d, f), 'utf8');
    const [w, g] = [whole, merged].map((d) => JSON.parse(read(d, 'results.json')));
    // The study-level steps are there: the traces (from shard 1) and the rescaling check. Run 0 (shard 0) spends its
    // budget above the loss target, so the study's candidate is run 1, in shard 1, while shard 0 checked its own first
    // converged run (run 2): the merge must keep shard 1's check.
    expect(g.eos.runs.length).toBe(1);
    expect(g.runs.map((r: { converged: boolean }) => r.converged)).toEqual([false, true, true]);
    expect(g.rescaling.measures.length).toBeGreaterThan(0);
    expect(g.rescaling.configuration).toBe('sgd_lr0.2_b100');
    expect(JSON.parse(read(a, 'shard.json')).rescaling.configuration).toBe('adam_lr0.003_b100');
    expect(g.runs.map((r: { configuration: string }) => r.configuration)).toEqual(['sgd_lr0.05_b100', 'sgd_lr0.2_b100', 'adam_lr0.003_b100']);
    expect(maskTimings(g)).toEqual(maskTimings(w));
    expect(maskReport(read(merged, 'report.md'))).toBe(maskReport(read(whole, 'report.md')));
    const svgs = readdirSync(whole).filter((f) => f.endsWith('.svg')).sort();
    expect(readdirSync(merged).filter((f) => f.endsWith('.svg')).sort()).toEqual(svgs);
    for (const f of svgs) expect(read(merged, f), f).toBe(read(whole, f));

    // Refusals, each before anything is written into --out.
    const out = join(dir, 'refused');
    const refuse = async (dirs: string[], cause: RegExp) => {
      await expect(mergeShards(dirs, out, () => {})).rejects.toThrow(cause);
      expect(existsSync(out)).toBe(false);
    };
    await refuse([a], /shard 1\/2 of 2 is missing \(given: 0\/2 in .*shard0\)\. Fix: run `study --shard INDEX\/2`/);
    await refuse([a, a, b], /shard0 and .*shard0 are both shard 0\/2, so their runs overlap\. Fix: pass each shard's folder once/);
    await refuse([a, whole], /whole holds no shard\.json: it is not the output folder of a `study --shard INDEX\/COUNT`/);
    await refuse([], /merge needs the output folders of the shards/);
    const copy = (from: string, name: string, edit: (r: Record<string, any>) => void) => {
      const to = join(dir, name);
      cpSync(from, to, { recursive: true });
      const r = JSON.parse(read(to, 'shard.json'));
      edit(r);
      writeFileSync(join(to, 'shard.json'), JSON.stringify(r));
      return to;
    };
    const otherConfig = copy(b, 'other-config', (r) => { r.config.train.maxEpochs = 2; });
    await refuse([a, otherConfig], /other-config belongs to another study than .*shard0 \(changed: train\.maxEpochs: 1 → 2\)\. Fix: re-run that shard with the same --config/);
    const otherSplit = copy(b, 'other-split', (r) => { r.shard = { index: 1, count: 3 }; });
    await refuse([a, otherSplit], /other-split is shard 1\/3 but .*shard0 is shard 0\/2: the shards split the study different ways/);
    const otherData = copy(b, 'other-data', (r) => { r.runs[0].inputs.dataHash = 'f'.repeat(64); });
    await refuse([a, otherData], /read different data under the same settings/);
    const foreign = temp();
    writeFileSync(join(foreign, 'thesis.tex'), 'mine');
    await expect(mergeShards([a, b], foreign, () => {})).rejects.toThrow(/holds files this engine did not write \(thesis\.tex\)/);
    expect(readdirSync(foreign)).toEqual(['thesis.tex']);
  });

  it('splits the runs every COUNT-th in config order, the traces on the last shard; bad --shard values are refused before any work', async () => {
    const config = expandSweep(mergeConfig(DEFAULT_CONFIG, CONFIG));
    validateConfig(config);
    const names = plannedRuns(config).map(({ run, seed }) => `${run.name}-s${seed}`);
    expect(names).toEqual(['sgd_lr0.05_b100-s0', 'sgd_lr0.2_b100-s0', 'adam_lr0.003_b100-s0']);
    const shards = [0, 1].map((index) => names.filter((_, k) => inShard(k, { index, count: 2 })));
    expect(shards).toEqual([['sgd_lr0.05_b100-s0', 'adam_lr0.003_b100-s0'], ['sgd_lr0.2_b100-s0']]);
    expect([0, 1].map((index) => runsEos({ index, count: 2 }))).toEqual([false, true]);
    expect(parseShard('0/3', 3)).toEqual({ index: 0, count: 3 });
    expect(() => parseShard('0/0', 3)).toThrow(/--shard 0\/0: COUNT must be at least 1/);
    expect(() => parseShard('3/2', 3)).toThrow(/--shard 3\/2: shards are numbered from 0, so INDEX must be 0 to 1 \(with Slurm, start the array at 0: --array=0-1\)/);
    expect(() => parseShard('2/2', 3)).toThrow(/INDEX must be 0 to 1/);
    expect(() => parseShard('x/2', 3)).toThrow(/--shard 'x\/2' must be INDEX\/COUNT, two whole numbers.*\$SLURM_ARRAY_TASK_ID.*\$JOB_COMPLETION_INDEX/);
    for (const bad of ['1', '-1/2', '1/2/3', ' 1/2', '1.5/2', '']) expect(() => parseShard(bad, 3), bad).toThrow(/must be INDEX\/COUNT/);
    expect(() => parseShard('0/4', 3)).toThrow(/--shard 0\/4: the study has 3 runs \(configurations × seeds\), so at most 3 shards/);
    // Through the CLI: refused before the GPU starts or the output folder is made.
    const dir = temp();
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(CONFIG));
    const r = await cli('study', '--config', file, '--shard', '3/2', '--out', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--shard 3\/2: shards are numbered from 0/);
    expect(r.stderr).not.toMatch(/adapter/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const noOut = await cli('merge', dir);
    expect(noOut.stderr).toMatch(/merge needs --out DIR/);
    expect((await cli('--help')).stdout).toMatch(/--shard INDEX\/COUNT[\s\S]*merge DIR… --out DIR/);
  });
});
