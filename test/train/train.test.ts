import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mlp } from '../../src/autograd/mlp';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { loadMnistPackage } from '../../src/data/node-files';
import { splitDataset } from '../../src/data/split';
import { take } from '../../src/data/dataset';
import { train } from '../../src/train/trainer';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint-file';
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
