import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../../src/autograd/mlp';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { loadMnistPackage } from '../../src/data/node-files';
import { splitDataset } from '../../src/data/split';
import { take } from '../../src/data/dataset';
import { train } from '../../src/train/trainer';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint-file';
import { encodeCheckpoint } from '../../src/train/checkpoint';
import { useGpu } from '../support/gpu';

const gpu = useGpu();

async function digits() {
  const split = splitDataset(await loadMnistPackage(), { testFraction: 0.2, seed: 0 });
  return { train: take(split.train, 3000), test: take(split.test, 1000) };
}

describe('training on the GPU', () => {
  it('Adam reaches ≥ 85% test accuracy on 3,000 digits within 2 epochs (92 steps)', async () => {
    const g = gpu();
    const d = await digits();
    const trainData = GpuDataset.fromDataset(g, d.train);
    const testData = GpuDataset.fromDataset(g, d.test);
    const model = await Mlp.create(g, { widths: [784, 32, 10], activation: 'relu', seed: 1 });
    const events: string[] = [];
    const result = await train(model, trainData, {
      epochs: 2, batchSize: 64, optimizer: { kind: 'adam', lr: 1e-3 }, seed: 3, logEvery: 10, test: testData,
      onProgress: (e) => { events.push(e.kind); },
    });
    expect(result.diverged).toBeNull();
    expect(result.steps).toBe(2 * Math.floor(3000 / 64));
    const last = result.evals.at(-1)!;
    expect(last.test!.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(last.train.loss).toBeLessThan(result.history[0].loss);
    expect(events.filter((e) => e === 'eval')).toHaveLength(2);
    expect(events.filter((e) => e === 'log').length).toBe(result.history.length);
    result.optimizer.destroy();
    model.destroy();
    trainData.destroy();
    testData.destroy();
  });

  it('is deterministic, checkpoints atomically and resumes to the same parameters', async () => {
    const g = gpu();
    const d = await digits();
    const data = GpuDataset.fromDataset(g, take(d.train, 640));
    const spec = { widths: [784, 16, 10], activation: 'tanh' as const, seed: 4 };
    const options = { batchSize: 32, optimizer: { kind: 'sgd' as const, lr: 0.05, momentum: 0.9 }, seed: 9, logEvery: 5 };

    const full = await Mlp.create(g, spec);
    const r2 = await train(full, data, { ...options, epochs: 2 });
    const fullParams = await full.getParams();
    const again = await Mlp.create(g, spec);
    const r2b = await train(again, data, { ...options, epochs: 2 });
    expect(Buffer.from((await again.getParams()).buffer).equals(Buffer.from(fullParams.buffer))).toBe(true);
    expect(r2b.history).toEqual(r2.history);

    const half = await Mlp.create(g, spec);
    const r1 = await train(half, data, { ...options, epochs: 1 });
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
    const path = join(dir, 'run.ckpt');
    await saveCheckpoint(path, {
      step: r1.steps, model: spec, params: await half.getParams(), optimizerState: await r1.optimizer.state(), meta: { options },
    });
    const loaded = await loadCheckpoint(path);
    expect(loaded.step).toBe(20);
    expect(loaded.meta).toEqual({ options });
    const resumed = await Mlp.create(g, loaded.model);
    resumed.setParams(loaded.params);
    expect((await resumed.loss(data)).loss).toBe((await half.loss(data)).loss);
    await train(resumed, data, { ...options, epochs: 2, resume: { optimizerState: loaded.optimizerState, step: loaded.step } });
    expect(Buffer.from((await resumed.getParams()).buffer).equals(Buffer.from(fullParams.buffer))).toBe(true);

    const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(path));
    await writeFile(join(dir, 'truncated.ckpt'), bytes.subarray(0, bytes.length - 10));
    await expect(loadCheckpoint(join(dir, 'truncated.ckpt'))).rejects.toThrow(/truncated\.ckpt: not a valid checkpoint .*truncated/);
    await writeFile(join(dir, 'garbage.ckpt'), 'hello world, not a checkpoint');
    await expect(loadCheckpoint(join(dir, 'garbage.ckpt'))).rejects.toThrow(/wrong magic bytes/);
    for (const r of [r1, r2, r2b]) r.optimizer.destroy();
    for (const m of [full, again, half, resumed]) m.destroy();
    data.destroy();
  });

  it('with a target train loss, stops at the first evaluation at or below it, or spends the budget and says unconverged', async () => {
    const g = gpu();
    const d = await digits();
    const data = GpuDataset.fromDataset(g, take(d.train, 640));
    const spec = { widths: [784, 16, 10], activation: 'relu' as const, seed: 6 };
    const options = { batchSize: 32, optimizer: { kind: 'adam' as const, lr: 1e-2 }, seed: 2, logEvery: 5 };
    const stepsPerEpoch = 640 / 32;
    const model = await Mlp.create(g, spec);
    const heldOut = GpuDataset.fromDataset(g, take(d.test, 200));
    const reached = await train(model, data, { ...options, epochs: 50, target: { trainLoss: 0.3 }, test: heldOut });
    reached.optimizer.destroy();
    const evals = reached.evals;
    // Stopped early, at the first evaluation whose full-set loss is at or below the target, and says so.
    expect(reached.converged).not.toBeNull();
    expect(reached.steps).toBeLessThan(50 * stepsPerEpoch);
    expect(reached.steps).toBe(evals.length * stepsPerEpoch);
    expect(reached.converged).toEqual({ step: reached.steps, epoch: evals.length - 1, trainLoss: evals.at(-1)!.train.loss });
    expect(evals.at(-1)!.train.loss).toBeLessThanOrEqual(0.3);
    for (const e of evals.slice(0, -1)) expect(e.train.loss).toBeGreaterThan(0.3);
    // The criterion reads the training loss alone: the test set is evaluated once, where the run stops.
    expect(evals.slice(0, -1).every((e) => e.test === undefined)).toBe(true);
    expect(evals.at(-1)!.test!.loss).toBe((await model.loss(heldOut)).loss);
    heldOut.destroy();
    // The loss it reports is the model's full-set loss at the stopping point.
    expect((await model.loss(data)).loss).toBeCloseTo(reached.converged!.trainLoss, 6);
    model.destroy();
    // A target out of reach: the whole budget is spent and the run is marked unconverged.
    const short = await Mlp.create(g, spec);
    const budget = await train(short, data, { ...options, epochs: 2, target: { trainLoss: 1e-6 } });
    budget.optimizer.destroy();
    expect(budget.converged).toBeNull();
    expect(budget.steps).toBe(2 * stepsPerEpoch);
    expect(budget.evals.at(-1)!.train.loss).toBeGreaterThan(1e-6);
    short.destroy();
    // Without a target nothing is claimed either way.
    const plain = await Mlp.create(g, spec);
    const fixed = await train(plain, data, { ...options, epochs: 1 });
    fixed.optimizer.destroy();
    expect(fixed.converged).toBeUndefined();
    plain.destroy();
    await expect(train(plain, data, { ...options, epochs: 1, target: { trainLoss: 0 } })).rejects.toThrow(/target\.trainLoss must be a positive number/);
    data.destroy();
  });

  it('stops a diverging run and reports the step and the last finite loss', async () => {
    const g = gpu();
    const d = await digits();
    const data = GpuDataset.fromDataset(g, take(d.train, 640));
    const model = await Mlp.create(g, { widths: [784, 16, 10], activation: 'relu', seed: 5 });
    const result = await train(model, data, { epochs: 5, batchSize: 32, optimizer: { kind: 'sgd', lr: 1e20 }, seed: 1, logEvery: 4 });
    expect(result.diverged).not.toBeNull();
    expect(result.diverged!.step % 4).toBe(0);
    expect(result.diverged!.step).toBeLessThan(5 * 20);
    expect(result.diverged!.reason).toMatch(/lower the learning rate/);
    expect(result.evals).toHaveLength(0);
    result.optimizer.destroy();
    model.destroy();
    data.destroy();
  });

  it('flags an explosion that stays finite: the loss far above its start, or ‖θ‖ past 100× its start', async () => {
    const g = gpu();
    const d = await digits();
    const data = GpuDataset.fromDataset(g, take(d.train, 640));
    const spec = { widths: [784, 16, 10], activation: 'relu' as const, seed: 5 };
    const run = async (divergence?: { lossFactor?: number; paramGrowth?: number }) => {
      const model = await Mlp.create(g, spec);
      const result = await train(model, data, { epochs: 2, batchSize: 32, optimizer: { kind: 'sgd', lr: 1e4 }, seed: 1, logEvery: 4, divergence });
      result.optimizer.destroy();
      const params = await model.getParams();
      model.destroy();
      return { result, norm: Math.sqrt(params.reduce((s, x) => s + x * x, 0)) };
    };
    // Without the bounds, SGD at lr 1e4 ends with a finite loss far above ln 10 and a huge ‖θ‖:
    // nothing non-finite to catch, which is why the explosion bounds exist.
    const unbounded = await run({ lossFactor: Infinity, paramGrowth: Infinity });
    expect(unbounded.result.diverged).toBeNull();
    const lastLoss = unbounded.result.history.at(-1)!.loss;
    expect(Number.isFinite(lastLoss) && lastLoss > 10 * Math.log(10)).toBe(true);
    const byLoss = await run();
    expect(byLoss.result.diverged!.reason).toMatch(/training loss exploded to .* above 10× its start .* Fix: lower the learning rate/);
    expect(byLoss.result.diverged!.step).toBe(4);
    expect(byLoss.result.evals).toHaveLength(0);
    const byNorm = await run({ lossFactor: Infinity });
    expect(byNorm.result.diverged!.reason).toMatch(/‖θ‖ exploded to .* above 100× its start/);
    const start = await Mlp.create(g, spec);
    expect(unbounded.norm).toBeGreaterThan(100 * Math.sqrt((await start.getParams()).reduce((s, x) => s + x * x, 0)));
    start.destroy();
    data.destroy();
  });

  it('checkpoints are verified: an edited header, a flipped bit, a mismatched shape or an old format is an error naming the file', async () => {
    const g = gpu();
    const model = await Mlp.create(g, { widths: [20, 12, 3], activation: 'tanh', seed: 2 });
    const params = await model.getParams();
    model.destroy();
    const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
    const good = { step: 3, model: { widths: [20, 12, 3], activation: 'tanh' as const, seed: 2 }, params, optimizerState: [], meta: {} };
    const bytes = encodeCheckpoint(good);
    const write = async (name: string, b: Uint8Array) => {
      const path = join(dir, name);
      await writeFile(path, b);
      return path;
    };
    expect((await loadCheckpoint(await write('good.ckpt', bytes))).params).toEqual(params);
    // The header says relu instead of tanh (same length, so only the checksum can tell).
    const text = new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true)));
    const relu = bytes.slice();
    relu.set(new TextEncoder().encode(text.replace('"tanh"', '"relu"')), 12);
    await expect(loadCheckpoint(await write('relu.ckpt', relu))).rejects.toThrow(/relu\.ckpt: not a valid checkpoint \(checksum mismatch/);
    // One flipped exponent bit in the first weight.
    const flipped = bytes.slice();
    flipped[bytes.length - 4 - 4 * params.length + 3] ^= 0x40;
    await expect(loadCheckpoint(await write('flipped.ckpt', flipped))).rejects.toThrow(/flipped\.ckpt: .*checksum mismatch/);
    // Internally consistent checksums over inconsistent content: widths vs parameter count, activation, optimizer state.
    await expect(loadCheckpoint(await write('widths.ckpt', encodeCheckpoint({ ...good, model: { ...good.model, widths: [20, 13, 3] } }))))
      .rejects.toThrow(new RegExp(`widths\\.ckpt: .*'params' holds ${params.length} values but widths \\[20, 13, 3\\] have ${20 * 13 + 13 + 13 * 3 + 3} parameters`));
    await expect(loadCheckpoint(await write('act.ckpt', encodeCheckpoint({ ...good, model: { ...good.model, activation: 'sigmoid' as 'tanh' } }))))
      .rejects.toThrow(/act\.ckpt: .*model\.activation is "sigmoid"/);
    await expect(loadCheckpoint(await write('state.ckpt', encodeCheckpoint({ ...good, optimizerState: [{ name: 'exp_avg', values: new Float32Array(5) }] }))))
      .rejects.toThrow(/state\.ckpt: .*optimizer state 'exp_avg' holds 5 values for \d+ parameters/);
    // A version-1 file (no checksum) is refused rather than trusted.
    const v1 = bytes.slice(0, bytes.length - 4);
    v1.set(new TextEncoder().encode(text.replace('"version":2', '"version":1')), 12);
    await expect(loadCheckpoint(await write('v1.ckpt', v1))).rejects.toThrow(/v1\.ckpt: .*version 1, this engine reads version 2/);
    // A checksummed file of a run that had blown up: refused at load, naming the array, not later as a NaN direction.
    const nan = params.slice();
    nan[5] = NaN;
    await expect(loadCheckpoint(await write('nan.ckpt', encodeCheckpoint({ ...good, params: nan }))))
      .rejects.toThrow(/nan\.ckpt: not a valid checkpoint \(array 'params' holds NaN at index 5: the run it saved had diverged\)/);
    // Someone else's model file passed as a checkpoint is pointed at --weights.
    const safetensors = new Uint8Array(await readFile(new URL('../fixtures/seq-6-5-3.safetensors', import.meta.url)));
    await expect(loadCheckpoint(await write('model.safetensors', safetensors)))
      .rejects.toThrow(/model\.safetensors: this is a safetensors file, not a checkpoint of this engine\. Fix: probe it with --weights/);
  });

  it('maxSteps cuts the budget mid-epoch: the full run\'s parameters at that step, evaluated there, unconverged', async () => {
    const g = gpu();
    const d = await digits();
    const data = GpuDataset.fromDataset(g, take(d.train, 640));
    const heldOut = GpuDataset.fromDataset(g, take(d.test, 100));
    const spec = { widths: [784, 16, 10], activation: 'relu' as const, seed: 5 };
    const options = { epochs: 2, batchSize: 32, optimizer: { kind: 'sgd' as const, lr: 0.05 }, seed: 1, logEvery: 27, target: { trainLoss: 1e-6 }, test: heldOut };
    // 20 steps an epoch: step 27 is inside the second; the full run's only log point before its end is there.
    const full = await Mlp.create(g, spec);
    let at27: Float32Array | undefined;
    const whole = await train(full, data, { ...options, onCheck: async (step) => { if (step === 27) at27 = await full.getParams(); } });
    const cut = await Mlp.create(g, spec);
    const short = await train(cut, data, { ...options, maxSteps: 27 });
    expect(whole.steps).toBe(40);
    expect(short.steps).toBe(27);
    expect(Buffer.from((await cut.getParams()).buffer).equals(Buffer.from(at27!.buffer))).toBe(true);
    expect(short.history.map((h) => h.step)).toEqual([27]);
    expect(short.evals.map((e) => e.step)).toEqual([20, 27]);
    expect(short.evals.at(-1)!.test!.loss).toBe((await cut.loss(heldOut)).loss);
    expect(short.converged).toBeNull();
    await expect(train(cut, data, { ...options, maxSteps: 0 })).rejects.toThrow(/maxSteps must be a positive integer, got 0/);
    for (const r of [whole, short]) r.optimizer.destroy();
    for (const x of [full, cut, data, heldOut]) x.destroy();
  });

  it('rejects bad training options by name', async () => {
    const g = gpu();
    const d = await digits();
    const data = GpuDataset.fromDataset(g, take(d.train, 100));
    const model = await Mlp.create(g, { widths: [784, 8, 10], activation: 'relu' });
    await expect(train(model, data, { epochs: 1, batchSize: 101, optimizer: { kind: 'adam' }, seed: 0 })).rejects.toThrow(/batchSize 101 exceeds the 100/);
    await expect(train(model, data, { epochs: 0, batchSize: 10, optimizer: { kind: 'adam' }, seed: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(train(model, data, { epochs: 1, batchSize: 10, optimizer: { kind: 'sgd', lr: -1 }, seed: 0 })).rejects.toThrow(/lr/);
    model.destroy();
    data.destroy();
  });
});
