/**
 * Bounded GPU memory: the README's patterns (fresh vectors per call, probes on a model, datasets
 * made and dropped) must leave the live GPU bytes flat, and so must a pass whose preparation fails
 * half-way. gpu.memory() counts every buffer made through gpu.createBuffer and not yet destroyed,
 * so anything a call leaves behind shows up here.
 */
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { PLAN_CACHE_SIZE } from '../../src/autograd/mlp';
import { hessianBlockOperator } from '../../src/probe/block-operator';
import { topEigenpair } from '../../src/probe/block-eigen';
import { perturbationSharpness } from '../../src/probe/perturbation';
import { refHvp } from '../../src/autograd/reference';
import { BlockPassPlan } from '../../src/autograd/block-pass';
import { PointsPassPlan } from '../../src/autograd/points-pass';
import { SampleTangentPlan } from '../../src/autograd/sample-tangent-pass';
import type { ChunkRange } from '../../src/autograd/chunked-pass';
import { ShapeError } from '../../src/gpu/errors';
import { Tensor } from '../../src/gpu/tensor';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';
import { makeProblem, maxAbs } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

describe(`live GPU memory stays flat (seed ${seed})`, () => {
  it('1,000 HVPs with fresh vectors, 100 probe calls and 50 dropped datasets', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [13, 7, 3], 'tanh', 33, seed);
    const hvpFresh = async (i: number) => {
      const v = model.vector('v');
      const hv = model.vector('hv');
      v.write(randomNormal(model.layout.size, seed + i));
      await model.hvp(data, v, hv);
      const out = await hv.read();
      v.destroy();
      hv.destroy();
      return out;
    };
    const probeOnce = async (i: number) => {
      if (i % 2 === 0) {
        const op = await hessianBlockOperator(model, data, 1);
        const power = await topEigenpair(op, { maxIter: 3, seed: seed + i });
        power.vector.destroy();
        op.destroy();
      } else {
        await perturbationSharpness(model, data, { samples: 2, seed: seed + i });
      }
    };
    const dropDataset = async (i: number) => {
      const ds = GpuDataset.fromFloats(g, randomNormal(5 * 13, seed + i), [0, 1, 2, 0, 1], 13, 3, `dropped-${i}`);
      await model.loss(ds);
      ds.destroy();
    };
    // Warm up every path once (pipelines, the readback pool's buckets), then measure.
    await hvpFresh(0);
    await probeOnce(0);
    await probeOnce(1);
    await dropDataset(0);
    await model.loss(data);
    const before = g.memory();

    for (let i = 1; i <= 1000; i++) {
      const out = await hvpFresh(i);
      if (i % 250 === 0) {
        // The products stay right while plans come and go.
        const want = refHvp(params, batch, randomNormal(model.layout.size, seed + i), ref);
        expectClose(out, want, { atol: 1e-5 * maxAbs(want), rtol: 1e-4 }, `hvp ${i}`);
      }
    }
    for (let i = 0; i < 100; i++) await probeOnce(i);
    for (let i = 1; i <= 50; i++) await dropDataset(i);
    await model.loss(data);

    expect(model.cachedPlans).toBeLessThanOrEqual(PLAN_CACHE_SIZE);
    expect(g.memory()).toEqual(before);
    model.releasePlans();
    model.destroy();
    data.destroy();
  });

  it('a chunked pass whose preparation throws half-way releases every buffer it made', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [13, 7, 3], 'tanh', 33, seed);
    const P = model.layout.size;
    const k = 2;
    const V = Tensor.create(g, [k * P], { data: randomNormal(k * P, seed) });
    const HV = Tensor.create(g, [k * P]);
    const out = Tensor.create(g, [k * data.count]);
    const v = model.vector('v');
    const hv = model.vector('hv');
    const grad = model.vector('grad');
    // Every pass kind, each over two chunks (a full one and the remainder).
    const prepares: [string, (range: ChunkRange) => Promise<{ destroy(): void }>][] = [
      ['loss', (r) => model.preparePass({ kind: 'loss', ...r })],
      ['gradient', (r) => model.preparePass({ kind: 'gradient', gradient: grad, ...r })],
      ['hvp', (r) => model.preparePass({ kind: 'hvp', direction: v, product: hv, ...r })],
      ['block', (r) => BlockPassPlan.prepare(model, { directions: V, products: HV, ...r })],
      ['points', (r) => PointsPassPlan.prepare(model, { points: V, k, ...r })],
      ['sample tangents', (r) => SampleTangentPlan.prepare(model, { directions: V, k, out, ...r })],
    ];
    // A dataset view that claims twice the samples its buffers hold passes the range check (the
    // order covers the real samples) and fails at the first chunk's gather — after the scalars,
    // stacked directions, the first workspace and its body (uniforms, split-K scratch) were made.
    const liar = Object.create(data, { count: { value: 2 * data.count } }) as typeof data;
    for (const [name, prepare] of prepares) {
      (await prepare({ data, chunkSize: 20 })).destroy(); // pipelines and placeholders, once
      const before = g.memory();
      const err = await prepare({ data: liar, chunkSize: 20 }).catch((e) => e);
      expect(err, name).toBeInstanceOf(ShapeError);
      expect(err.message, name).toMatch(/gather: pixels .*needs elements/);
      expect(g.memory(), name).toEqual(before);
    }
    for (const t of [V, HV, out, v, hv, grad]) t.destroy();
    model.destroy();
    data.destroy();
  });

  it('counts the buffers made through gpu.createBuffer, leaving the device as it was', () => {
    const g = gpu();
    expect(Object.prototype.hasOwnProperty.call(g.device, 'createBuffer')).toBe(false);
    const before = g.memory();
    const own = g.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
    expect(g.memory()).toEqual({ liveBuffers: before.liveBuffers + 1, liveBytes: before.liveBytes + 64 });
    // A buffer other code makes on the same device is its own to count.
    const theirs = g.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
    expect(g.memory().liveBuffers).toBe(before.liveBuffers + 1);
    own.destroy();
    own.destroy();
    theirs.destroy();
    expect(g.memory()).toEqual(before);
  });

  it('counts buffers as they are made and destroyed', () => {
    const g = gpu();
    const before = g.memory();
    const t = GpuDataset.fromFloats(g, new Float32Array(7), [0], 7, 2, 'count');
    const during = g.memory();
    expect(during.liveBuffers - before.liveBuffers).toBe(3);
    expect(during.liveBytes).toBeGreaterThan(before.liveBytes);
    t.destroy();
    t.destroy();
    expect(g.memory()).toEqual(before);
  });
});
