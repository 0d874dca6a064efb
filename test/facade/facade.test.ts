/**
 * The façade (src/facade) on the real adapter: hessian()'s numbers are the underlying solvers' to
 * the bit (same operator, same arguments), probe() is the CLI's probe suite, and `using` scopes
 * leave gpu.memory() where it was — for the façade, its eigenvector results, Mlp, GpuDataset and Tensor.
 */
import { describe, expect, it } from 'vitest';
import { hessian } from '../../src/facade/hessian';
import { probe } from '../../src/facade/probe';
import { ggnBlockOperator, hessianBlockOperator } from '../../src/probe/block-operator';
import { blockEigen } from '../../src/probe/block-eigen';
import { blockHutchinsonTrace } from '../../src/probe/hutchinson';
import { spectralDensityBlock } from '../../src/probe/lanczos';
import { perLayerSharpnessBlock } from '../../src/probe/layer';
import { measureMinimum } from '../../src/measures/probe-run';
import { DEFAULT_CONFIG } from '../../src/study/config';
import { Mlp } from '../../src/autograd/mlp';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { Tensor } from '../../src/gpu/tensor';
import { relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

describe(`façade: hessian() and probe() (seed ${seed})`, () => {
  it("hessian(): eigenvalues, trace, density, per-layer λmax and the Gauss–Newton eigenvalues and trace equal the solvers' to the bit", async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [7, 9, 5, 3], 'tanh', 33, seed);
    const opts = { tol: 1e-4, maxIter: 60, seed };
    let facade;
    {
      using h = await hessian(model, data, { seed, chunkSize: 16, blockSize: 8 });
      const eig = await h.eigenvalues({ k: 3, tol: 1e-4, maxIter: 60 });
      const trace = await h.trace({ samples: 8 });
      const density = await h.density({ steps: 12 });
      const layers = await h.perLayer({ tol: 1e-4, maxIter: 60 });
      using ggn = await h.gaussNewton();
      facade = { eig, trace, density, layers, ggn: { eig: await ggn.eigenvalues({ k: 2, tol: 1e-4, maxIter: 60 }), trace: await ggn.trace({ samples: 8 }) } };
    }
    const block = await hessianBlockOperator(model, data, 8, { chunkSize: 16 });
    const eig = await blockEigen(block, { want: 3, ...opts });
    const trace = await blockHutchinsonTrace(block, { samples: 8, seed });
    block.destroy();
    const ggnBlock = await ggnBlockOperator(model, data, 8, { chunkSize: 16 });
    const ggnEig = await blockEigen(ggnBlock, { want: 2, ...opts });
    const ggnTrace = await blockHutchinsonTrace(ggnBlock, { samples: 8, seed });
    ggnBlock.destroy();
    const one = await hessianBlockOperator(model, data, 1, { chunkSize: 16 });
    const density = await spectralDensityBlock(one, { steps: 12, seed });
    one.destroy();
    const layers = await perLayerSharpnessBlock(model, data, 8, { ...opts, chunkSize: 16 });

    expect(facade.eig.values).toEqual(eig.groups[0].values);
    expect(facade.eig.residuals).toEqual(eig.groups[0].residuals);
    expect(facade.eig.iterations).toBe(eig.iterations);
    expect(facade.trace).toEqual(trace);
    expect(facade.density).toEqual(density);
    expect(facade.layers).toEqual(layers);
    expect(facade.ggn.eig.values).toEqual(ggnEig.groups[0].values);
    expect(facade.ggn.eig.residuals).toEqual(ggnEig.groups[0].residuals);
    expect(facade.ggn.trace).toEqual(ggnTrace);
    model.destroy();
    data.destroy();
  });

  it('eigenvectors only when asked, and `using` frees them, the façade, Mlp, GpuDataset and Tensor', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [6, 8, 4], 'relu', 20, seed);
    const scope = async () => {
      using h = await hessian(model, data, { seed, blockSize: 4 });
      const plain = await h.eigenvalues({ k: 2, maxIter: 30 });
      expect(plain).not.toHaveProperty('vectors');
      using withVectors = await h.eigenvalues({ k: 2, maxIter: 30, vectors: true });
      expect(withVectors.values).toEqual(plain.values);
      expect(withVectors.vectors.shape).toEqual([2, model.layout.size]);
      const v = await withVectors.vectors.read();
      expect(Math.hypot(...v.subarray(0, model.layout.size))).toBeCloseTo(1, 4);
      await h.density({ steps: 8 });
      using m = await Mlp.create(g, { widths: [6, 5, 3], activation: 'gelu', seed });
      using d = GpuDataset.fromFloats(g, new Float32Array(12).fill(0.5), [0, 2], 6, 3);
      using t = Tensor.create(g, [17]);
      await m.loss(d);
      expect(t.size).toBe(17);
    };
    await scope(); // the first scope fills the device's scratch pool; from then on nothing may stay behind
    const before = g.memory();
    await scope();
    expect(g.memory()).toEqual(before);
    model.destroy();
    data.destroy();
  });

  it('refuses what it cannot do before any GPU work, naming the fix', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [6, 8, 4], 'relu', 10, seed);
    await expect(hessian(model, data, { blockSize: 40 })).rejects.toThrow(/blockSize must be an integer from 1 to 32, got 40/);
    const other = GpuDataset.fromFloats(g, new Float32Array(10), [0, 1], 5, 4);
    await expect(hessian(model, other)).rejects.toThrow(/the data has 5 features but the model's input width is 6/);
    using h = await hessian(model, data, { blockSize: 2 });
    await expect(h.eigenvalues({ k: 3 })).rejects.toThrow(/k must be an integer from 1 to the block size 2, got 3 \(pass a larger blockSize/);
    other.destroy();
    model.destroy();
    data.destroy();
  });

  it("probe(): the CLI's probe suite with the study's defaults, any of them overridden", async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [6, 8, 4], 'relu', 24, seed);
    const settings = { topK: 3, traceSamples: 4, densitySteps: 8, perturbation: { samples: 2 }, slice: { steps: 3 }, noise: { directions: 2, bulk: 2 },
      invariant: { samples: 2, steps: 1, flatnessSamples: 2 } };
    const stages: string[] = [];
    const r = await probe(model, data, { seed, settings, onStage: (s) => void stages.push(s) });
    const p = { ...DEFAULT_CONFIG.probe, ...settings, perturbation: { ...DEFAULT_CONFIG.probe.perturbation, samples: 2 },
      slice: { ...DEFAULT_CONFIG.probe.slice, steps: 3 }, noise: { ...DEFAULT_CONFIG.probe.noise, directions: 2, bulk: 2 },
      invariant: { ...DEFAULT_CONFIG.probe.invariant, samples: 2, steps: 1, flatnessSamples: 2 } };
    const direct = await measureMinimum(model, data, { ...p, noise: undefined }, { seed, training: { batchSize: 0, twoOverEta: null } });
    expect(r.sharpness).toEqual(direct.sharpness);
    expect(r.density).toEqual(direct.density);
    expect(r.slice).toEqual(direct.slice);
    expect(r.loss).toEqual(await model.loss(data, { chunkSize: p.chunkSize }));
    expect(r.samples).toBe(24);
    expect(r.noise?.directions.length).toBeGreaterThan(0);
    expect(r.sharpness.adaptiveAverage).toBeTypeOf('number');
    expect(stages).toContain('perturbation sharpness');
    expect(relDiff(r.sharpness.lambdaMax, r.sharpness.topK[0])).toBeLessThan(1e-2);
    await expect(probe(model, data, { settings: { topK: 0 } })).rejects.toThrow(/probe\.topK/);
    model.destroy();
    data.destroy();
  });
});
