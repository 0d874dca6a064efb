import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, checkBuffersFit, mergeConfig, validateConfig, type StudyConfig } from '../../src/study/config';
import { checkModelFitsData, loadSplit, runStudy } from '../../src/study/run-study';
import { MEASURES } from '../../src/measures/registry';
import { PROBE_FAILURE, type Measure } from '../../src/measures/measure';
import { studyWork } from '../../src/study/cost-estimate';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint-file';
import { Mlp } from '../../src/autograd/mlp';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { train } from '../../src/train/trainer';
import { ENGINE_VERSION } from '../../src/version';
import { writeStudyOutputs } from '../../src/study/write-report';
import type { StudyResult } from '../../src/study/results';
import { answerParagraph, findings } from '../../src/study/report';
import { RESULTS_SCHEMA_VERSION } from '../../src/study/results-schema';
import { useGpu } from '../support/gpu';

const gpu = useGpu();

/**
 * The default pipeline, shrunk: same code path, tiny sizes. The loss target sits just below ln 10
 * = 2.3026 (a higher one is refused), which one epoch takes every configuration past (Flat_SGD_LowLR
 * to 2.28 on this split), so every run converges and is probed.
 */
const TINY: StudyConfig = mergeConfig(DEFAULT_CONFIG, {
  hidden: [8], train: { maxEpochs: 1, lossTarget: 2.3 }, seeds: [0, 1], batchSize: 100, logEvery: 20,
  data: { source: 'mnist-10k', testFraction: 0.05, splitSeed: 0 },
  probe: {
    samples: 300, chunkSize: 300, maxIter: 20, topK: 2, traceSamples: 3, densitySteps: 6,
    perturbation: { rho: 0.05, samples: 2 }, slice: { from: -0.5, to: 0.5, steps: 3 }, duringEvery: 40, duringSamples: 100, duringMaxIter: 3,
  },
  eos: { etas: [0.5], steps: 4, every: 2, samples: 100, powerIters: 2 },
});

/** Whole studies on a software adapter shared with other work: generous limits (speed is not tested here). */
const SLOW = { timeout: 900_000 };

describe('the study pipeline', SLOW, () => {
  it('runs end to end and writes a report consistent with results.json; a re-run resumes', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const stages = new Set<string>();
    const logs: string[] = [];
    const result = await runStudy(g, TINY, out, { log: (l) => logs.push(l), stage: (run, text) => stages.add(`${run}: ${text}`) });
    // The cost bound before the first run, then the pace of the first finished run.
    expect(logs.filter((l) => l.startsWith('estimated cost on '))).toHaveLength(1);
    expect(logs.filter((l) => / took \d+ (s|min); at that pace the 5 remaining runs take ~\d+ (s|min)$/.test(l))).toHaveLength(1);
    // What is being probed reaches the progress hook, run by run.
    expect([...stages].filter((t) => t.startsWith('Flat_SGD_LowLR seed 1: ')).map((t) => t.split(': ')[1].split(' (')[0]))
      .toEqual(['λmax and top-2', 'trace', 'spectral density', 'λmin', 'per-layer λmax', 'Gauss–Newton λmax and top-2', 'Gauss–Newton trace', '1D slice along the top eigenvector', 'perturbation sharpness',
        'adaptive sharpness', 'relative flatness of the last layer', "relative flatness of the last layer in its authors' protocol", 'gradient noise and stationary spread along eigen- and bulk directions',
        'gradient noise scale']);
    const files = await writeStudyOutputs(result, out);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'eos-adam.svg', 'eos-full-batch.svg', 'eos-sgd.svg',
      'lambda-during-training.svg', 'lambda-vs-accuracy.svg', 'noise-vs-curvature.svg', 'report.md', 'results.json', 'slice-top-eigenvector.svg', 'spectral-density.svg',
    ]);
    const saved = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as StudyResult;
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(saved.runs).toHaveLength(6);
    expect(saved.adapter.description).toBe(g.adapter.description);
    expect(report).toContain(g.adapter.description);
    // The samples actually used, not the settings that asked for them.
    expect(saved.data).toMatchObject({ name: 'mnist-10k/train', train: 9500, test: 500, probe: 300, during: 100 });
    expect(saved.data!.trainClasses.reduce((a, b) => a + b, 0)).toBe(9500);
    // The cost bound stated before the first run covers what the runs then spent.
    const work = studyWork(TINY, saved.data!.train, TINY.configurations);
    expect(saved.estimate).toMatchObject({ runs: 6 });
    expect(saved.estimate!.seconds).toBeGreaterThan(0);
    for (const r of saved.runs) {
      const bound = (stage: string) => work.filter((w) => w.stage === stage && (w.pass.kind !== 'step' || w.pass.batch === TINY.batchSize)).reduce((s, w) => s + w.count, 0) / TINY.configurations.length;
      expect(r.steps).toBeLessThanOrEqual(bound('training steps'));
      expect(r.duringTraining.length * TINY.probe.duringMaxIter).toBeLessThanOrEqual(bound('λmax during training'));
    }
    expect(report).toMatch(/Estimated before the start: at most ~\d+ (s|min) for 6 runs \(every budget spent\); this invocation took \d+ (s|min)\./);
    expect(report).toContain(`| Configuration | layer 1 (${(784 * 8 + 8).toLocaleString('en-US')} parameters) | layer 2 (90 parameters) | λmax / largest block |`);
    expect(report).toMatch(/Data: mnist-10k: 9,500 training samples \((\d+, ){9}\d+ of classes 0–9\), 500 test samples; probes on the first 300 training samples, λmax during training on the first 100\./);
    for (const name of ['Adam_Default', 'Sharp_SGD_HighLR', 'Flat_SGD_LowLR']) {
      const runs = saved.runs.filter((r) => r.configuration === name && !r.diverged);
      // The summary table's row (the reproduction table above it has rows of the same names).
      const row = report.slice(report.indexOf('## Results')).split('\n').find((l) => l.startsWith(`| ${name}`))!;
      expect(row, `${name} row`).toBeDefined();
      const cells = row.split('|').map((c) => c.trim());
      // Test accuracy and λmax cells show the mean over seeds of what results.json holds, and its interval around it.
      const meanAcc = runs.reduce((s, r) => s + 100 * r.test.accuracy, 0) / runs.length;
      const meanLambda = runs.reduce((s, r) => s + r.sharpness!.lambdaMax, 0) / runs.length;
      const [acc, accLow, accHigh] = cells[5].match(/^([\d.]+) \[([\d.]+), ([\d.]+)\]$/)!.slice(1).map(Number);
      expect(cells[5].split(' [')[0]).toBe(meanAcc.toFixed(2));
      expect(accLow <= acc && acc <= accHigh).toBe(true);
      expect(cells[8].split(' [')[0]).toBe(meanLambda.toFixed(2));
      expect(cells[3]).toBe(String(runs.length));
      for (const r of runs) {
        expect(r.converged).toBe(true);
        expect(Number.isFinite(r.sharpness!.lambdaMax)).toBe(true);
        expect(r.sharpness!.topK[0]).toBeGreaterThanOrEqual(r.sharpness!.topK[1]);
        expect(r.sharpness!.perLayer).toHaveLength(2);
        expect(r.slice!.loss).toHaveLength(3);
        expect(r.duringTraining.length).toBeGreaterThan(0);
        // probe.noise: min(directions, topK) = 2 eigenvectors and 5 bulk directions, raw numbers kept.
        expect(r.noise!.directions.map((d) => d.kind)).toEqual(['eigen', 'eigen', 'bulk', 'bulk', 'bulk', 'bulk', 'bulk']);
        expect(r.noise!.directions.every((d) => d.c > 0)).toBe(true);
      }
    }
    expect(report).toContain("## Does SGD's noise follow the curvature?");
    for (const c of saved.correlations) expect(report).toContain(`| ${c.measure} | ${c.target} | ${c.n} |`);
    // results.json holds numbers: the report's sentences are rendered from them, the same from the saved file.
    expect(saved.schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
    expect(Object.keys(saved)).not.toContain('answer');
    expect(Object.keys(saved)).not.toContain('findings');
    for (const f of findings(saved.runs, saved.correlations, saved.config.train)) expect(report).toContain(f);
    // The report leads with the answer, before the evidence.
    const answer = answerParagraph(saved.runs, saved.correlations, saved.config.train);
    expect(report.indexOf('## Answer')).toBeLessThan(report.indexOf('## Results'));
    expect(report).toContain(answer);
    expect(answer).toMatch(/^\*\*Does flatness predict generalisation here\?\*\* (Supported|Contradicted|Undecided)/);
    // Stored floats carry 6 significant digits at most.
    const text = await readFile(join(out, 'results.json'), 'utf8');
    const runText = await readFile(join(out, 'runs', 'Adam_Default-s0.json'), 'utf8');
    for (const t of [text, runText]) {
      const long = (t.replace(/"inputs":\{[^}]*\}/g, '').match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).filter((n) => n.replace(/^-?0\.0*|[-.]|e.*$/g, '').length > 6);
      expect(long).toEqual([]);
    }
    const svg = await readFile(join(out, 'lambda-vs-accuracy.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);

    // Finished runs are reused: a second call trains nothing and returns the same numbers.
    const again = await runStudy(g, TINY, out, { log: () => {} });
    expect(again.runs.map((r) => r.test.accuracy)).toEqual(saved.runs.map((r) => r.test.accuracy));
    expect((await readdir(join(out, 'checkpoints'))).sort()).toHaveLength(6);
  });

  it('ships config files that match the embedded default and validate', async () => {
    const read = async (name: string) => JSON.parse(await readFile(new URL(`../../configs/${name}`, import.meta.url), 'utf8'));
    const { $schema, ...defaults } = await read('default.json');
    expect($schema).toBe('./schema.json');
    expect(defaults).toEqual(JSON.parse(JSON.stringify(DEFAULT_CONFIG)));
    const full = mergeConfig(DEFAULT_CONFIG, await read('full.json'));
    expect(() => validateConfig(full)).not.toThrow();
    expect(full.data).toEqual({ source: 'mnist', trainSamples: 0 });
    expect(full.seeds.length).toBeGreaterThanOrEqual(3);
    expect(DEFAULT_CONFIG.seeds.length).toBeGreaterThanOrEqual(3);
    expect(full.configurations.map((c) => c.name)).toEqual(['Adam_Default', 'Sharp_SGD_HighLR', 'Flat_SGD_LowLR']);
  });

  it('rejects bad config values at start-up, naming the field', () => {
    const bad = (patch: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, patch));
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'rmsprop', lr: 0.1 } }] })).toThrow(/configurations\[0\]\.optimizer\.kind.*'sgd', 'adam', 'adamw'/);
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'sgd', lr: -0.1 } }] })).toThrow(/configurations\[0\]\.optimizer' is invalid: sgd: lr = -0\.1 is invalid/);
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'sgd', lr: 0 } }] })).toThrow(/configurations\[0\]\.optimizer\.lr' must be a positive number/);
    expect(bad({ data: { source: 'idx', path: '' } })).toThrow(/'data\.path'/);
    expect(bad({ hidden: [64, 0] })).toThrow(/'hidden\[1\]' must be a positive integer/);
    expect(bad({ activation: 'sigmoid' })).toThrow(/'activation'/);
    expect(bad({ probe: { lanczosSteps: 2, topK: 5 } })).toThrow(/'probe\.lanczosSteps'/);
    expect(bad({ data: { source: 'cifar' } })).toThrow(/'data\.source'.*valid values/);
  });

  it('fails at start-up on a missing data path and on data that does not match the architecture', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const missing = mergeConfig(TINY, { data: { source: 'idx', path: '/nonexistent/mnist' } });
    await expect(runStudy(g, missing, out, { log: () => {} })).rejects.toThrow(/'data\.path' \/nonexistent\/mnist does not exist/);
    // A checkpoint of a 20-feature, 3-class network probed on the digits (784 features, 10 classes).
    const file = join(out, 'small.ckpt');
    const model = await Mlp.create(g, { widths: [20, 8, 3], activation: 'relu', seed: 0 });
    await saveCheckpoint(file, { step: 0, model: model.spec, params: await model.getParams(), optimizerState: [], meta: {} });
    model.destroy();
    const ckpt = await loadCheckpoint(file);
    const split = await loadSplit(TINY);
    // data.trainSamples keeps the first N of the (shuffled) training split and the whole test split.
    const subset = await loadSplit(mergeConfig(TINY, { data: { ...TINY.data, trainSamples: 500 } }));
    expect(subset.train.count).toBe(500);
    expect(subset.train.pixels).toEqual(split.train.pixels.slice(0, 500 * 784));
    expect(subset.test.count).toBe(split.test.count);
    expect(() => checkModelFitsData(file, ckpt.model.widths, TINY.data, split.train))
      .toThrow(new RegExp(`small\\.ckpt: the network \\[20, 8, 3\\] does not fit the data .*784 features, 10 classes`));
  });

  it('rejects unknown config keys with a suggestion and bad optimizer settings at start-up', () => {
    const bad = (patch: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, patch));
    expect(bad({ seed: [1] })).toThrow(/config: 'seed' is not a known setting \(did you mean 'seeds'\?\)/);
    expect(bad({ train: { maxEpoch: 3 } })).toThrow(/'train\.maxEpoch' is not a known setting \(did you mean 'maxEpochs'\?\); valid keys of 'train'/);
    expect(bad({ epochs: 4 })).toThrow(/config: 'epochs' is now 'train\.maxEpochs' \(the budget/);
    expect(bad({ train: { lossTarget: 0 } })).toThrow(/'train\.lossTarget' must be a positive number/);
    expect(bad({ train: { maxEpochs: 2.5 } })).toThrow(/'train\.maxEpochs' must be a positive integer/);
    expect(bad({ data: { source: 'mnist-10k', testFraction: 0.2, splitSeed: 0, trainSamples: -1 } })).toThrow(/'data\.trainSamples' must be a non-negative integer/);
    expect(bad({ data: { source: 'mnist', trainSample: 10 } })).toThrow(/'data\.trainSample' .*did you mean 'trainSamples'/);
    expect(bad({ probe: { sample: 100 } })).toThrow(/'probe\.sample' is not a known setting \(did you mean 'samples'\?\); valid keys of 'probe'/);
    expect(bad({ probe: { slice: { step: 3 } } })).toThrow(/'probe\.slice\.step' is not a known setting \(did you mean 'steps'\?\)/);
    expect(bad({ data: { source: 'mnist-10k', testfraction: 0.1, splitSeed: 0 } })).toThrow(/'data\.testfraction' .*did you mean 'testFraction'/);
    expect(bad({ configurations: [{ name: 'X', optimzer: { kind: 'sgd', lr: 1 } }] })).toThrow(/'configurations\[0\]\.optimzer' .*did you mean 'optimizer'/);
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'adam', beta1: 1 } }] }))
      .toThrow(/'configurations\[0\]\.optimizer' is invalid: adam: beta1 = 1 is invalid; valid values: a number in \[0, 1\)/);
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'sgd', lr: 0.1, betas: [0.9] } }] })).toThrow(/unknown option 'betas'/);
    expect(bad({ seeds: [1, 1] })).toThrow(/'seeds' lists a seed twice/);
    expect(bad({ probe: { slice: { from: 'a' } } })).toThrow(/'probe\.slice\.from' must be a finite number/);
  });

  it('checks buffer sizes against the adapter before any GPU work, naming the field to change', async () => {
    const g = gpu();
    const shape = { features: 784, classes: 10, trainCount: 8000, testCount: 2000 };
    const fits = (patch: unknown) => () => checkBuffersFit(mergeConfig(DEFAULT_CONFIG, patch), shape, g.limits);
    expect(fits({})).not.toThrow();
    const limit = Math.min(g.limits.maxStorageBufferBindingSize, g.limits.maxBufferSize);
    // A width whose 784×w weights alone exceed the limit: the width is the cause, not the batch.
    const wide = Math.ceil(limit / (4 * 785)) + 1;
    expect(fits({ hidden: [wide, 64] })).toThrow(new RegExp(`parameter vector .* Fix: narrow the layers in 'hidden' \\(the widest is 'hidden\\[0\\]' \\(${wide}\\)\\)`));
    // Rows × width past the limit with parameters that fit: the batch or chunk is the lever.
    const rows = Math.ceil(limit / (8 * 4096)) + 1;
    expect(fits({ hidden: [4096], batchSize: rows })).toThrow(/a training batch .* Fix: lower 'batchSize' to at most \d+, or narrow 'hidden\[0\]'/);
    expect(fits({ hidden: [4096], probe: { chunkSize: 1e6 } })).toThrow(/an evaluation chunk .* Fix: lower 'probe\.chunkSize' to at most \d+/);
    expect(fits({ hidden: [4096], probe: { densitySteps: 1000 } })).toThrow(/Lanczos basis .* Fix: lower 'probe\.densitySteps'/);
    // runStudy refuses before uploading anything.
    const before = g.memory();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    await expect(runStudy(g, mergeConfig(TINY, { hidden: [wide] }), out, { log: () => {} })).rejects.toThrow(/narrow the layers in 'hidden'/);
    expect(g.memory()).toEqual(before);
  });
});

/** One configuration, one seed, tiny probes: the smallest study that exercises resume and failure handling. */
/** A measure ahead of the registry's that fails on seed 1, as a solver's NaN would. */
const failsOnSeed1: Measure = {
  name: 'fails-on-seed-1', settings: [], writes: ['sharpness'], failure: PROBE_FAILURE,
  run: async ({ seed }) => {
    if (seed === 1) throw new Error('powerIteration: the Rayleigh quotient is NaN at iteration 1');
    return {};
  },
};

const MICRO: StudyConfig = mergeConfig(TINY, {
  seeds: [0], configurations: [{ name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } }], probe: { duringEvery: 0 },
});

describe('a study never mixes, loses or hides runs', SLOW, () => {
  it('refuses to resume runs made with other settings, naming what changed', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const first = await runStudy(g, MICRO, out, { log: () => {} });
    expect(first.runs[0].inputsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.runs[0].inputs).toMatchObject({ engine: ENGINE_VERSION, seed: 0 });
    const saved = await readFile(join(out, 'runs', 'Adam_Default-s0.json'), 'utf8');
    const changed = mergeConfig(MICRO, { configurations: [{ name: 'Adam_Default', optimizer: { kind: 'adam', lr: 3e-3 } }] });
    const before = g.memory();
    await expect(runStudy(g, changed, out, { log: () => {} }))
      .rejects.toThrow(/Adam_Default-s0\.json was made with different settings \(changed: optimizer\.lr: 0\.001 → 0\.003\).*Fix: re-run with --fresh/);
    expect(g.memory()).toEqual(before);
    await expect(runStudy(g, mergeConfig(MICRO, { train: { maxEpochs: 2 } }), out, { log: () => {} })).rejects.toThrow(/\(changed: train\.maxEpochs: 1 → 2\)/);
    // Settings that reach a run only through its during-training checks are hashed too (eos.powerIters once escaped).
    await expect(runStudy(g, mergeConfig(MICRO, { eos: { powerIters: 5 } }), out, { log: () => {} })).rejects.toThrow(/\(changed: eos\.powerIters: 2 → 5\)/);
    // The same settings written differently (a default made explicit) resume.
    const explicit = mergeConfig(MICRO, { configurations: [{ name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3, beta1: 0.9 } }] });
    const again = await runStudy(g, explicit, out, { log: () => {} });
    expect(again.runs[0].test.accuracy).toBe(first.runs[0].test.accuracy);
    expect(await readFile(join(out, 'runs', 'Adam_Default-s0.json'), 'utf8')).toBe(saved);
    // A run file from an older engine (no recorded inputs) is refused too.
    await writeFile(join(out, 'runs', 'Adam_Default-s0.json'), JSON.stringify({ ...first.runs[0], inputsHash: undefined, inputs: undefined }));
    await expect(runStudy(g, MICRO, out, { log: () => {} })).rejects.toThrow(/records no inputs/);
  });

  it('a run that spends its budget above the loss target is marked unconverged, listed, and left out of the correlations', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const result = await runStudy(g, mergeConfig(MICRO, { train: { maxEpochs: 1, lossTarget: 1e-6 } }), out, { log: () => {} });
    const [r] = result.runs;
    expect(r.converged).toBe(false);
    expect(r.steps).toBe(Math.floor((await loadSplit(MICRO)).train.count / MICRO.batchSize));
    expect(r.train.loss).toBeGreaterThan(1e-6);
    expect(result.correlations.every((c) => c.n === 0)).toBe(true);
    await writeStudyOutputs(result, out);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/## Unconverged runs \(left out of the correlations\)\n\n- Adam_Default seed 0: train loss [\d.]+ > target 0\.000001 after \d+ steps/);
    expect(report).toMatch(/\| Adam_Default \(unconverged\) \|/);
    expect(report).toMatch(/Left out: Adam_Default \(1 of 1 seed\)/);
  });

  it('an interrupted study marks its report partial and lists the missing runs', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const abort = new AbortController();
    const two = mergeConfig(MICRO, { seeds: [0, 1] });
    const result = await runStudy(g, two, out, {
      log: (l) => { if (l.includes('seed 0: test acc')) abort.abort(); }, signal: abort.signal,
    });
    expect(result.runs.map((r) => r.seed)).toEqual([0]);
    expect(result.missing).toEqual([{ configuration: 'Adam_Default', seed: 1 }]);
    await writeStudyOutputs(result, out);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/Partial report: 1 of 2 runs are missing.*Adam_Default seed 1/);
    const saved = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(saved.partial).toBe(true);
    expect(saved.missing).toEqual([{ configuration: 'Adam_Default', seed: 1 }]);
    // Finishing it: the report is whole again.
    const done = await runStudy(g, two, out, { log: () => {} });
    expect(done.missing).toEqual([]);
    await writeStudyOutputs(done, out);
    expect(await readFile(join(out, 'report.md'), 'utf8')).not.toMatch(/Partial report/);
  });

  it('an exploding run is flagged diverged, a failing probe is recorded on its run, and the study goes on', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const config = mergeConfig(MICRO, {
      seeds: [0, 1],
      configurations: [
        { name: 'Exploding_SGD', optimizer: { kind: 'sgd', lr: 1e4 } },
        { name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } },
      ],
    });
    const result = await runStudy(g, config, out, {
      log: () => {},
      // A probe that throws on one run, as "the Rayleigh quotient is NaN" did: the other runs must not notice.
      measures: [failsOnSeed1, ...MEASURES],
    });
    expect(result.runs).toHaveLength(4);
    const exploding = result.runs.filter((r) => r.configuration === 'Exploding_SGD');
    for (const r of exploding) {
      expect(r.diverged?.reason).toMatch(/exploded/);
      expect(r.sharpness).toBeNull();
    }
    const adam = result.runs.filter((r) => r.configuration === 'Adam_Default');
    expect(adam[0].failure).toBeNull();
    expect(Number.isFinite(adam[0].sharpness!.lambdaMax)).toBe(true);
    expect(adam[1].failure).toEqual({ stage: 'probe of the minimum', message: 'powerIteration: the Rayleigh quotient is NaN at iteration 1' });
    expect(adam[1].sharpness).toBeNull();
    expect(Number.isFinite(adam[1].test.accuracy)).toBe(true);
    await writeStudyOutputs(result, out);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Diverged and failed runs');
    expect(report).toMatch(/- Exploding_SGD seed 0: diverged at step \d+ \(training loss exploded/);
    expect(report).toMatch(/- Adam_Default seed 1: probe of the minimum failed: powerIteration: the Rayleigh quotient is NaN/);
  });

  it('study checkpoints carry optimizer state: a run resumed from one matches the run trained straight through', async () => {
    const g = gpu();
    const config = mergeConfig(MICRO, { probe: { duringEvery: 0 } });
    const outOne = await mkdtemp(join(tmpdir(), 'study-'));
    const outTwo = await mkdtemp(join(tmpdir(), 'study-'));
    await runStudy(g, mergeConfig(config, { train: { maxEpochs: 1, lossTarget: 1e-6 } }), outOne, { log: () => {}, probe: false });
    await runStudy(g, mergeConfig(config, { train: { maxEpochs: 2, lossTarget: 1e-6 } }), outTwo, { log: () => {}, probe: false });
    const half = await loadCheckpoint(join(outOne, 'checkpoints', 'Adam_Default-s0.ckpt'));
    const full = await loadCheckpoint(join(outTwo, 'checkpoints', 'Adam_Default-s0.ckpt'));
    expect(half.optimizerState.map((a) => a.name)).toEqual(['exp_avg', 'exp_avg_sq']);
    const split = await loadSplit(config);
    const data = GpuDataset.fromDataset(g, split.train);
    const model = await Mlp.create(g, half.model);
    model.setParams(half.params);
    const meta = half.meta as { optimizer: StudyConfig['configurations'][0]['optimizer']; seed: number; batchSize: number };
    const result = await train(model, data, {
      epochs: 2, batchSize: meta.batchSize, optimizer: meta.optimizer, seed: meta.seed, logEvery: config.logEvery, evaluate: false,
      resume: { optimizerState: half.optimizerState, step: half.step },
    });
    result.optimizer.destroy();
    expect(result.steps).toBe(full.step);
    expect(Buffer.from((await model.getParams()).buffer).equals(Buffer.from(full.params.buffer))).toBe(true);
    model.destroy();
    data.destroy();
  });
});
