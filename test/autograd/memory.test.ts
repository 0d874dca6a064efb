/**
 * Bounded GPU memory: the README's patterns (fresh vectors per call, probes on a model, datasets
 * made and dropped) must leave the live GPU bytes flat. gpu.memory() counts every buffer the device
 * made and has not destroyed, so anything a call leaves behind shows up here.
 */
import { describe, expect, it } from 'vitest';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { PLAN_CACHE_SIZE } from '../../src/autograd/mlp';
import { hessianOperator } from '../../src/probe/operator';
import { powerIteration } from '../../src/probe/power';
import { perturbationSharpness } from '../../src/probe/perturbation';
import { refHvp } from '../../src/autograd/reference';
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
        const op = await hessianOperator(model, data);
        const power = await powerIteration(op, { maxIter: 3, seed: seed + i });
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
