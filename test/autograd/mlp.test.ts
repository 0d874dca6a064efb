import { describe, expect, it } from 'vitest';
import { refForward, refGradient, refHessian, refHvp, symmetricEigenvalues, type Activation } from '../../src/autograd/reference';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { makeDataset } from '../../src/data/dataset';
import { Mlp } from '../../src/autograd/mlp';
import { expectClose, relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';
import { dot, makeProblem, maxAbs } from '../support/nets';
import { Rng } from '../../src/util/rng';
import type { TangentProducts } from '../../src/gpu/ops/matmul';

const gpu = useGpu();
const seed = freshSeed();
const ACTS: Activation[] = ['relu', 'tanh', 'gelu'];
const FORMS: TangentProducts[] = ['split', 'dual'];

/** Elementwise rule with atol tied to the vector's scale: float32 vs float64 to ~1e-4 relative. */
const scaled = (ref: ArrayLike<number>, rtol = 1e-4) => ({ atol: rtol * 0.1 * maxAbs(ref), rtol });

describe(`MLP on the GPU vs the float64 reference (seed ${seed})`, () => {
  for (const act of ACTS) {
    it(`${act}: loss, accuracy, gradient and HVP on 33-17-9-10 with 57 samples`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, [33, 17, 9, 10], act, 57, seed);
      const want = refForward(params, batch, ref);
      const got = await model.loss(data);
      expect(relDiff(got.loss, want.loss)).toBeLessThan(1e-5);
      expect(got.accuracy).toBe(want.correct / 57);

      const grad = model.vector();
      const fromGrad = await model.gradient(data, grad);
      expect(relDiff(fromGrad.loss, want.loss)).toBeLessThan(1e-5);
      const gRef = refGradient(params, batch, ref);
      const gGot = await grad.read();
      const gReport = expectClose(gGot, gRef, scaled(gRef), 'gradient');
      expect(gReport.maxAbsError / maxAbs(gRef)).toBeLessThan(1e-4);

      const v = randomNormal(model.layout.size, seed + 5);
      const V = model.vector('v');
      V.write(v);
      const hv = model.vector('hv');
      const hRef = refHvp(params, batch, v, ref);
      // Both forms of the backward's tangent products (the adapter picks one; matmul-tiles.json).
      for (const form of FORMS) {
        hv.write(new Float32Array(model.layout.size).fill(NaN));
        await model.hvp(data, V, hv, { tangentProducts: form });
        const hReport = expectClose(await hv.read(), hRef, scaled(hRef), `H·v (${form})`);
        expect(hReport.maxAbsError / maxAbs(hRef)).toBeLessThan(1e-4);
      }
      model.destroy();
      data.destroy();
    });
  }

  it('HVP agrees with central differences of the GPU gradient (tanh, smooth)', async () => {
    const g = gpu();
    const { model, data, params } = await makeProblem(g, [12, 16, 10], 'tanh', 40, seed + 1);
    // A unit direction keeps the finite-difference step ε·‖v‖ = ε small: truncation error grows as its square.
    const raw = randomNormal(model.layout.size, seed + 6);
    const v = raw.map((x) => x / Math.sqrt(dot(raw, raw)));
    const V = model.vector('v');
    V.write(v);
    const hv = model.vector('hv');
    await model.hvp(data, V, hv);
    const eps = 1e-2;
    const grad = model.vector();
    const gradAt = async (sign: number) => {
      model.setParams(params.map((p, i) => p + sign * eps * v[i]));
      await model.gradient(data, grad);
      return Float64Array.from(await grad.read());
    };
    const gPlus = await gradAt(1);
    const gMinus = await gradAt(-1);
    model.setParams(params);
    const fd = gPlus.map((x, i) => (x - gMinus[i]) / (2 * eps));
    const got = await hv.read();
    // Central differences in float32 carry O(ε²) truncation and O(u/ε) rounding: about 1e-3 relative here.
    expectClose(got, fd, { atol: 3e-3 * maxAbs(fd), rtol: 3e-2 }, 'H·v vs finite differences');
    model.destroy();
    data.destroy();
  });

  it('is symmetric: uᵀHv = vᵀHu', async () => {
    const g = gpu();
    for (const act of ACTS) {
      const { model, data } = await makeProblem(g, [20, 24, 16, 10], act, 64, seed + 2);
      const u = randomNormal(model.layout.size, seed + 7);
      const v = randomNormal(model.layout.size, seed + 8);
      const U = model.vector('u');
      const V = model.vector('v');
      U.write(u);
      V.write(v);
      const hu = model.vector('hu');
      const hv = model.vector('hv');
      await model.hvp(data, U, hu);
      await model.hvp(data, V, hv);
      const uHv = dot(u, await hv.read());
      const vHu = dot(v, await hu.read());
      expect(relDiff(uHv, vHu), `${act}: uᵀHv=${uHv}, vᵀHu=${vHu}`).toBeLessThan(1e-4);
      model.destroy();
      data.destroy();
    }
  });

  it('dense Hessian from GPU HVPs is symmetric and its eigenvalues match the float64 Hessian', async () => {
    const g = gpu();
    for (const act of ACTS) {
      // 6-12-8-3: 72+12 + 96+8 + 24+3 = 215 parameters.
      const { model, data, batch, ref, params } = await makeProblem(g, [6, 12, 8, 3], act, 30, seed + 3);
      const P = model.layout.size;
      expect(P).toBeLessThanOrEqual(300);
      const H = new Float64Array(P * P);
      const E = model.vector('e');
      const col = model.vector('col');
      const unit = new Float32Array(P);
      for (let j = 0; j < P; j++) {
        unit.fill(0);
        unit[j] = 1;
        E.write(unit);
        await model.hvp(data, E, col);
        const c = await col.read();
        for (let i = 0; i < P; i++) H[i * P + j] = c[i];
      }
      let asym = 0;
      let scale = 0;
      for (let i = 0; i < P; i++) {
        for (let j = 0; j < P; j++) {
          asym = Math.max(asym, Math.abs(H[i * P + j] - H[j * P + i]));
          scale = Math.max(scale, Math.abs(H[i * P + j]));
        }
      }
      expect(asym / scale, `${act} asymmetry`).toBeLessThan(1e-4);
      const gpuEig = symmetricEigenvalues(H, P);
      const refEig = symmetricEigenvalues(refHessian(params, batch, ref), P);
      expect(relDiff(gpuEig[0], refEig[0]), `${act}: λmax gpu ${gpuEig[0]} vs ref ${refEig[0]}`).toBeLessThan(1e-4);
      expectClose(gpuEig, refEig, { atol: 1e-4 * Math.abs(refEig[0]), rtol: 1e-3 }, `${act} spectrum`);
      model.destroy();
      data.destroy();
    }
  });

  it.each(FORMS)('chunked passes agree with one big batch, and the L2 term enters exactly (%s backward)', async (form) => {
    const g = gpu();
    const { model, data, params, batch, ref } = await makeProblem(g, [15, 20, 10], 'gelu', 101, seed + 4);
    const v = randomNormal(model.layout.size, seed + 9);
    const V = model.vector('v');
    V.write(v);
    const whole = { grad: model.vector(), hv: model.vector() };
    const chunked = { grad: model.vector(), hv: model.vector() };
    const lossWhole = await model.hvp(data, V, whole.hv, { gradient: whole.grad, tangentProducts: form });
    const lossChunked = await model.hvp(data, V, chunked.hv, { gradient: chunked.grad, chunkSize: 13, tangentProducts: form });
    expect(relDiff(lossWhole.loss, lossChunked.loss)).toBeLessThan(1e-6);
    const gw = await whole.grad.read();
    const hw = await whole.hv.read();
    expectClose(await chunked.grad.read(), gw, scaled(gw, 1e-5), 'chunked gradient');
    expectClose(await chunked.hv.read(), hw, scaled(hw, 1e-5), 'chunked H·v');
    expectClose(gw, refGradient(params, batch, ref), scaled(gw), 'fused gradient vs reference');
    expectClose(hw, refHvp(params, batch, v, ref), scaled(hw), 'H·v vs reference');

    const wd = 0.03;
    const reg = model.vector();
    const regLoss = await model.hvp(data, V, reg, { chunkSize: 13, weightDecay: wd, includeRegulariser: true, tangentProducts: form });
    const want = refHvp(params, batch, v, { ...ref, weightDecay: wd, includeRegulariser: true });
    expectClose(await reg.read(), want, scaled(want), 'H·v + wd·v');
    const refLoss = refForward(params, batch, { ...ref, weightDecay: wd, includeRegulariser: true }).loss;
    expect(relDiff(regLoss.loss, refLoss)).toBeLessThan(1e-5);
    model.destroy();
    data.destroy();
  });

  it('trains on byte pixels through the same path (packed gather, normalisation)', async () => {
    const g = gpu();
    const rng = new Rng(seed + 10);
    const count = 23;
    const pixels = Uint8Array.from({ length: count * 49 }, () => rng.int(256));
    const labels = Uint8Array.from({ length: count }, () => rng.int(10));
    const ds = makeDataset({ name: 'tiny', count, rows: 7, cols: 7, classes: 10, pixels, labels });
    const data = GpuDataset.fromDataset(g, ds);
    const model = await Mlp.create(g, { widths: [49, 11, 10], activation: 'relu', seed: seed + 11 });
    const params = await model.getParams();
    const x = Float64Array.from(pixels, (b) => Math.fround(b / 255));
    const grad = model.vector();
    await model.gradient(data, grad);
    const want = refGradient(params, { x, labels, count }, { widths: [49, 11, 10], activation: 'relu' });
    expectClose(await grad.read(), want, scaled(want), 'gradient on byte data');
    model.destroy();
    data.destroy();
  });

  it('rejects a dataset that does not match the network', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [5, 4, 3], 'relu', 9, seed);
    const other = await Mlp.create(g, { widths: [6, 4, 3], activation: 'relu' });
    await expect(other.loss(data)).rejects.toThrow(/has 5 features but the network's input width is 6/);
    await expect(Mlp.create(g, { widths: [5, 3], activation: 'sigmoid' as Activation })).rejects.toThrow(/activation 'sigmoid' is not supported/);
    const wrong = g.device && (await import('../../src/gpu/tensor')).Tensor.create(g, [3]);
    await expect(model.hvp(data, wrong, wrong)).rejects.toThrow(/direction has 3 elements; the network has \d+ parameters/);
    for (const m of [model, other]) m.destroy();
    data.destroy();
  });
});
