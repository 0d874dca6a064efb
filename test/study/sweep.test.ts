/**
 * The sweep: its grid expands into the right named configurations with the right optimizer and
 * batch-size overrides, bad grids are refused naming the field, and the tiny preset
 * (configs/sweep-tiny.json) runs end to end through the study runner into a report whose
 * correlations span the grid, with the edge-of-stability traces; a grid alongside the configurations
 * runs its cells on their own seeds with only the measures it names.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type StudyConfig } from '../../src/study/config';
import { expandSweep, sweepConfigurations } from '../../src/study/sweep';
import { runStudy } from '../../src/study/run-study';
import { plannedRuns } from '../../src/study/shard';
import { writeStudyOutputs } from '../../src/study/write-report';
import { useGpu } from '../support/gpu';

const gpu = useGpu();
const preset = async (name: string) => mergeConfig(DEFAULT_CONFIG, JSON.parse(await readFile(new URL(`../../configs/${name}`, import.meta.url), 'utf8')));

describe('the sweep', () => {
  it('expands the grid into named configurations with their optimizer and batch size', () => {
    const grid = sweepConfigurations({
      optimizers: [{ kind: 'sgd', lr: [0.01, 0.1], momentum: 0.9 }, { kind: 'adam', lr: [0.001], name: 'adam-b2', beta2: 0.99 }],
      batchSizes: [32, 128],
    });
    expect(grid).toEqual([
      { name: 'sgd_lr0.01_b32', optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9 }, batchSize: 32 },
      { name: 'sgd_lr0.01_b128', optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9 }, batchSize: 128 },
      { name: 'sgd_lr0.1_b32', optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9 }, batchSize: 32 },
      { name: 'sgd_lr0.1_b128', optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9 }, batchSize: 128 },
      { name: 'adam-b2_lr0.001_b32', optimizer: { kind: 'adam', lr: 0.001, beta2: 0.99 }, batchSize: 32 },
      { name: 'adam-b2_lr0.001_b128', optimizer: { kind: 'adam', lr: 0.001, beta2: 0.99 }, batchSize: 128 },
    ]);
    // The expanded config is itself valid (names unique, overrides checked) and keeps the sweep on record.
    const config = expandSweep(mergeConfig(DEFAULT_CONFIG, { sweep: { optimizers: [{ kind: 'sgd', lr: [0.01, 0.1] }], batchSizes: [32, 128] } }));
    expect(() => validateConfig(config)).not.toThrow();
    expect(config.configurations.map((c) => c.name)).toEqual(['sgd_lr0.01_b32', 'sgd_lr0.01_b128', 'sgd_lr0.1_b32', 'sgd_lr0.1_b128']);
    const none = mergeConfig(DEFAULT_CONFIG, { sweep: null });
    expect(expandSweep(none)).toBe(none);
  });

  it('refuses bad grids and bad eos settings, naming the field and the fix', () => {
    const bad = (patch: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, patch));
    const sweep = (s: unknown) => bad({ sweep: s });
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [] })).toThrow(/'sweep\.batchSizes' must list at least one batch size/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [32, 0] })).toThrow(/'sweep\.batchSizes\[1\]' must be a positive integer/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [32, 32] })).toThrow(/'sweep\.batchSizes' lists a batch size twice/);
    expect(sweep({ optimizers: [], batchSizes: [32] })).toThrow(/'sweep\.optimizers' must list at least one optimizer/);
    expect(sweep({ optimizers: [{ kind: 'rmsprop', lr: [0.1] }], batchSizes: [32] })).toThrow(/'sweep\.optimizers\[0\]\.kind' is "rmsprop"; valid values are 'sgd', 'adam', 'adamw'/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: 0.1 }], batchSizes: [32] })).toThrow(/'sweep\.optimizers\[0\]\.lr' must be a non-empty list of learning rates/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1, -1] }], batchSizes: [32] })).toThrow(/'sweep\.optimizers\[0\]\.lr\[1\]' must be a positive number/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }, { kind: 'sgd', lr: [0.2], momentum: 0.9 }], batchSizes: [32] }))
      .toThrow(/'sweep\.optimizers\[1\]\.name' 'sgd' names two entries' cells alike/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1], beta1: 0.9 }], batchSizes: [32] })).toThrow(/'sweep\.optimizers\[0\]' is invalid: sgd: unknown option 'beta1'/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSize: [32] })).toThrow(/'sweep\.batchSize' is not a known setting/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: Array.from({ length: 101 }, (_, i) => i + 1) }], batchSizes: [1, 2] })).toThrow(/202 cells, more than 200/);
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 0 }] })).toThrow(/'configurations\[0\]\.batchSize' must be a positive integer/);
    expect(bad({ eos: { etas: [] } })).toThrow(/'eos\.etas' must list 1 to 6 step sizes.*"enabled": false/);
    expect(bad({ eos: { etas: [0.1, -0.2] } })).toThrow(/'eos\.etas\[1\]' must be a positive step size/);
    expect(bad({ eos: { enabled: 'no' } })).toThrow(/'eos\.enabled' must be true or false/);
    expect(bad({ eos: { every: 100, steps: 10 } })).toThrow(/'eos\.every' \(100\) must be at most eos\.steps \(10\)/);
    expect(bad({ eos: { step: 10 } })).toThrow(/'eos\.step' is not a known setting \(did you mean 'steps'\?\)/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [32], measures: ['lambda-max', 'sharpness'] }))
      .toThrow(/'sweep\.measures\[1\]' is "sharpness"; valid values are .*'lambda-max'.*'noise-scale'/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [32], measures: [] })).toThrow(/'sweep\.measures' must list at least one measure/);
    expect(sweep({ optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [32], seeds: [1, 1] })).toThrow(/'sweep\.seeds' lists a seed twice/);
    const clash = mergeConfig(DEFAULT_CONFIG, { configurations: [{ name: 'sgd_lr0.1_b32', optimizer: { kind: 'sgd', lr: 0.1 } }], sweep: { optimizers: [{ kind: 'sgd', lr: [0.1] }], batchSizes: [32], alongside: true } });
    expect(() => expandSweep(clash))
      .toThrow(/'sweep' has a cell named 'sgd_lr0\.1_b32' like a configuration/);
  });

  it('puts a grid alongside the configurations: after them, on its own seeds, with only its measures', () => {
    const config = expandSweep(mergeConfig(DEFAULT_CONFIG, {
      sweep: { optimizers: [{ kind: 'sgd', lr: [0.2] }], batchSizes: [16, 64], alongside: true, seeds: [3], measures: ['lambda-max', 'trace'] },
    }));
    expect(() => validateConfig(config)).not.toThrow();
    expect(config.configurations.map((c) => c.name)).toEqual([...DEFAULT_CONFIG.configurations.map((c) => c.name), 'sgd_lr0.2_b16', 'sgd_lr0.2_b64']);
    expect(config.configurations.at(-1)).toMatchObject({ seeds: [3], measures: ['lambda-max', 'trace'], batchSize: 64 });
    expect(plannedRuns(config).map((p) => `${p.run.name}:${p.seed}`).slice(-3)).toEqual(['Flat_SGD_LowLR:2', 'sgd_lr0.2_b16:3', 'sgd_lr0.2_b64:3']);
  });

  it('ships presets that validate: the tiny one for tests, the full one for a GPU', async () => {
    for (const name of ['sweep-tiny.json', 'sweep-full.json']) {
      const config = await preset(name);
      expect(() => validateConfig(config), name).not.toThrow();
      expect(expandSweep(config).configurations.length, name).toBeGreaterThan(3);
    }
  });

  it('runs the tiny preset end to end: every cell × seed, correlations over the grid, EoS traces and plots', { timeout: 900_000 }, async () => {
    const config: StudyConfig = expandSweep(await preset('sweep-tiny.json'));
    const out = await mkdtemp(join(tmpdir(), 'sweep-'));
    const result = await runStudy(gpu(), config, out, { log: () => {} });
    const cells = config.configurations;
    expect(result.runs).toHaveLength(cells.length * config.seeds.length);
    for (const r of result.runs) {
      const cell = cells.find((c) => c.name === r.configuration)!;
      expect(r.inputs!.batchSize, r.configuration).toBe(cell.batchSize);
      // 1,000 training samples, one epoch: the step count shows the batch size was the cell's.
      expect(r.steps, r.configuration).toBe(Math.floor(1000 / cell.batchSize!));
      const t = r.trainingSharpness!;
      expect(t.kind).toBe(cell.optimizer.kind === 'sgd' ? 'minibatch' : 'preconditioned');
      // Stored runs carry 6 significant digits (rounding.ts), so the threshold is compared relatively.
      const threshold = cell.optimizer.kind === 'sgd' ? 2 / cell.optimizer.lr! : 38 / cell.optimizer.lr!;
      expect(Math.abs(t.threshold / threshold - 1)).toBeLessThan(1e-5);
      expect(t.points.map((p) => p.step)).toEqual(r.duringTraining.map((p) => p.step));
      for (const p of t.points) expect(Number.isFinite(p.minibatch ?? p.preconditioned)).toBe(true);
    }
    const finished = result.runs.filter((r) => !r.diverged && r.converged && r.sharpness).length;
    for (const c of result.correlations) expect(c.n).toBe(finished);
    expect(result.eos!.runs.map((r) => r.trace.map((p) => p.step))).toEqual([[0, 2, 4]]);

    const files = await writeStudyOutputs(result, out);
    for (const chart of ['eos-full-batch.svg', 'eos-sgd.svg', 'eos-adam.svg']) expect(files).toContain(join(out, chart));
    const report = await readFile(join(out, 'report.md'), 'utf8');
    for (const c of cells) expect(report).toContain(`| ${c.name} | ${c.optimizer.kind} | ${c.optimizer.lr} | ${c.batchSize} |`);
    expect(report).toContain('## Edge of stability: full-batch gradient descent');
    expect(report).toContain('| sgd_lr0.05_b25 | mini-batch λmax |');
    expect(report).toContain('| adam_lr0.003_b25 | λmax(P⁻¹H) |');
  });

  it('runs a grid alongside: the cells measure only what they name, recorded in their inputs, and join the correlations', { timeout: 900_000 }, async () => {
    const tiny = await preset('sweep-tiny.json');
    const config: StudyConfig = expandSweep(mergeConfig(tiny, {
      seeds: [0], configurations: [{ name: 'Ref', optimizer: { kind: 'sgd', lr: 0.1 } }], eos: { enabled: false },
      sweep: { optimizers: [{ kind: 'adam', lr: [0.003] }], batchSizes: [25, 100], alongside: true, seeds: [4], measures: ['lambda-max', 'trace'] },
    }));
    const out = await mkdtemp(join(tmpdir(), 'sweep-alongside-'));
    const result = await runStudy(gpu(), config, out, { log: () => {} });
    expect(result.runs.map((r) => `${r.configuration}:${r.seed}`)).toEqual(['Ref:0', 'adam_lr0.003_b25:4', 'adam_lr0.003_b100:4']);
    const [ref, ...cells] = result.runs;
    expect(ref.density).not.toBeNull();
    expect(ref.duringTraining.length).toBeGreaterThan(0);
    expect(ref.inputs!.measures).toBeUndefined();
    for (const r of cells) {
      expect(Number.isFinite(r.sharpness!.lambdaMax), r.configuration).toBe(true);
      expect(Number.isFinite(r.sharpness!.trace), r.configuration).toBe(true);
      expect(r.sharpness!.lambdaMin, r.configuration).toBeUndefined();
      expect(r.density, r.configuration).toBeNull();
      expect(r.slice, r.configuration).toBeNull();
      expect(r.duringTraining, r.configuration).toEqual([]);
      expect(r.inputs!.measures, r.configuration).toEqual(['lambda-max', 'trace']);
    }
    // Every run converges in the tiny preset (loss target 2.0), so the main correlation pools all three.
    expect(result.runs.every((r) => r.converged)).toBe(true);
    expect(result.correlations.find((c) => c.measure === 'λmax' && c.target === 'test error')!.n).toBe(3);
    await writeStudyOutputs(result, out);
    const written = await readFile(join(out, 'report.md'), 'utf8');
    for (const r of cells) expect(written).toContain(`| ${r.configuration} | adam | 0.003 |`);
  });
});
