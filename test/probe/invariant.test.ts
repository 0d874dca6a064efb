/**
 * Sharpness measures that survive reparametrisation, on the real adapter: adaptive sharpness
 * (average and worst case) against float64 replays of the same perturbations and ascent, relative
 * flatness (as defined, and in its authors' protocol: features at unit standard deviation, plus the
 * weight-decay term) against the exact κ from the dense float64 Hessian, and Dinh et al.'s ReLU
 * rescalings, whole-layer and per neuron — the same function, the invariant measures unchanged,
 * λmax and the trace moved, plain κ moved by the per-neuron one.
 */
import { describe, expect, it } from 'vitest';
import { refForward, refForwardTrace, refGradient, refHessian, type Activation } from '../../src/autograd/reference';
import { neuronFactors, rescaleLayers, rescaleNeurons } from '../../src/autograd/rescale';
import { Mlp } from '../../src/autograd/mlp';
import type { ParamLayout } from '../../src/autograd/layout';
import { train } from '../../src/train/trainer';
import { adaptiveSharpness } from '../../src/probe/adaptive';
import { perturbationDirections, perturbationSharpness } from '../../src/probe/perturbation';
import { featureSpread, flatnessProbes, relativeFlatness } from '../../src/probe/relative-flatness';
import { hessianOperator } from '../support/operator';
import { topEigenvalue } from '../support/power';
import { hutchinsonTrace } from '../support/hutchinson';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem, type Problem } from '../support/nets';
import { freshSeed } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();

/** float64 L(θ + ε) − L(θ). */
function refIncrease(p: Problem, eps: ArrayLike<number>): number {
  const at = Float64Array.from(p.params, (x, i) => x + eps[i]);
  return refForward(at, p.batch, p.ref).loss - refForward(p.params, p.batch, p.ref).loss;
}

/** The adaptive ascent of probe/adaptive.ts replayed in float64: the increase at δ₁…δ_T. */
function refAscent(p: Problem, rho: number, eta: number, steps: number): number[] {
  const c = Float64Array.from(p.params, (x) => Math.abs(x) + eta);
  let delta = new Float64Array(c.length);
  const out: number[] = [];
  const unit = (v: Float64Array, length: number) => {
    const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return v.map((x) => (length * x) / n);
  };
  for (let t = 0; t < steps; t++) {
    const at = Float64Array.from(p.params, (x, i) => x + c[i] * delta[i]);
    const g = refGradient(at, p.batch, p.ref);
    const step = unit(g.map((x, i) => c[i] * x), rho);
    delta = unit(delta.map((x, i) => x + step[i]), rho);
    out.push(refIncrease(p, delta.map((x, i) => c[i] * x)));
  }
  return out;
}

/** Exact κ = Σ_{s,s'} ⟨w_s, w_s'⟩ Σ_j H_{(s,j),(s',j)} from the dense float64 Hessian. */
function exactKappa(H: Float64Array, params: ArrayLike<number>, layout: ParamLayout, layer: number): number {
  // κ as defined is the authors' protocol with every feature's σ taken as 1 and no weight decay.
  return exactKappaNormalised(H, params, layout, layer, new Float64Array(layout.layers[layer].inDim).fill(1), 0);
}

/** σ_j of the layer's input features over the batch (population std), from the float64 reference forward pass. */
function exactSpread(p: Problem, params: ArrayLike<number>, layer: number): Float64Array {
  const h = refForwardTrace(params, p.batch, p.ref).h[layer];
  const n = p.model.layout.layers[layer].inDim;
  const count = p.batch.count;
  return Float64Array.from({ length: n }, (_, j) => {
    let m = 0;
    for (let r = 0; r < count; r++) m += h[r * n + j] / count;
    let v = 0;
    for (let r = 0; r < count; r++) v += (h[r * n + j] - m) ** 2 / count;
    return Math.sqrt(v);
  });
}

/**
 * Exact κ in its authors' protocol from the dense float64 Hessian: the normalised network's
 * W̃_{sj} = W_{sj}σ_j and H̃ = H/(σ_jσ_j'), Σ_{s,s'} ⟨w̃_s, w̃_s'⟩ Tr(H̃_{s,s'}) + 2α Σ_s ‖w̃_s‖².
 */
function exactKappaNormalised(H: Float64Array, params: ArrayLike<number>, layout: ParamLayout, layer: number, sigma: ArrayLike<number>, alpha: number): number {
  const P = layout.size;
  const { inDim, outDim, weightOffset: o } = layout.layers[layer];
  const w = (s: number, j: number) => params[o + s * inDim + j] * sigma[j];
  let kappa = 0;
  for (let s = 0; s < outDim; s++) {
    for (let t = 0; t < outDim; t++) {
      let inner = 0;
      let trace = 0;
      for (let j = 0; j < inDim; j++) {
        inner += w(s, j) * w(t, j);
        if (sigma[j] > 0) trace += H[(o + s * inDim + j) * P + o + t * inDim + j] / sigma[j] ** 2;
      }
      kappa += inner * trace;
    }
    for (let j = 0; j < inDim; j++) kappa += 2 * alpha * w(s, j) ** 2;
  }
  return kappa;
}

function quadratic(H: Float64Array, d: ArrayLike<number>): number {
  const P = d.length;
  let q = 0;
  for (let i = 0; i < P; i++) {
    if (d[i] === 0) continue;
    let row = 0;
    for (let j = 0; j < P; j++) row += H[i * P + j] * d[j];
    q += d[i] * row;
  }
  return q;
}

/** A tiny ReLU net trained to a low loss (Adam), so the loss rises in every direction around it. */
async function trainedProblem(widths: number[], s: number): Promise<Problem> {
  const p = await makeProblem(gpu(), widths, 'relu', 48, s);
  const run = await train(p.model, p.data, { epochs: 60, batchSize: 16, seed: s, optimizer: { kind: 'adam', lr: 0.01 }, evaluate: false });
  run.optimizer.destroy();
  p.params = await p.model.getParams();
  return p;
}

const relClose = (after: number, before: number, rtol: number, what: string) =>
  expect(Math.abs(after - before), `${what}: ${before} → ${after}`).toBeLessThanOrEqual(rtol * Math.abs(before));

describe(`invariant sharpness (seed ${seed})`, () => {
  it('adaptive sharpness: random samples and ascent iterates are the float64 increases; worst ≥ average ≥ 0 at a trained minimum', async () => {
    const p = await trainedProblem([6, 10, 8, 3], seed);
    const { model, data, params } = p;
    const base = (await model.loss(data)).loss;
    // The average case on the worst case's sphere (averageRho = ρ/√P), so worst ≥ average is a fair test of the ascent.
    const o = { rho: 0.3, averageRho: 0.3 / Math.sqrt(params.length), eta: 0, samples: 6, steps: 4, seed: seed + 1 };
    const r = await adaptiveSharpness(model, data, o);
    expect(r).toMatchObject({ rho: 0.3, averageRho: o.averageRho, eta: 0, samples: 6, seed: seed + 1 });
    expect(r.baseLoss).toBe(base);
    // The same antithetic perturbations ±ρ·d_s as perturbationSharpness with adaptive directions, in float64.
    const dirs = [...perturbationDirections(params, model.layout, { seed: o.seed, samples: 6, filterWise: false, adaptiveEta: 0 })];
    const want = dirs.map((d) => (refIncrease(p, d.map((x) => o.averageRho * x)) + refIncrease(p, d.map((x) => -o.averageRho * x))) / 2);
    // Each direction has ‖d ⊘ |θ|‖ = √P: ρ·d moves each weight by ~ρ of itself.
    for (const d of dirs) {
      const q = d.reduce((sum, x, i) => sum + (params[i] === 0 ? 0 : (x / Math.abs(params[i])) ** 2), 0);
      expectClose([q], [params.length], { atol: 0, rtol: 1e-5 }, '‖d ⊘ |θ|‖²');
    }
    const tol = { atol: 2e-5 * base, rtol: 1e-3 };
    expectClose([r.average], [want.reduce((a, b) => a + b, 0) / want.length], tol, 'average case');
    expectClose(r.ascent, refAscent(p, o.rho, o.eta, o.steps), tol, 'ascent iterates');
    expect(r.worst).toBe(Math.max(...r.ascent));
    expect(r.average).toBeGreaterThan(0);
    expect(r.worst, 'the ascent beats random directions of the same radius').toBeGreaterThanOrEqual(r.average);
    expect(r.worst).toBeGreaterThan(0);
    expect(await model.getParams(), 'θ restored bit for bit').toEqual(params);
    model.destroy();
    data.destroy();
  });

  it('relative flatness: each probe is dᵀHd of the float64 Hessian, and the estimator is unbiased for the exact κ', async () => {
    const p = await makeProblem(gpu(), [6, 7, 5], 'gelu', 30, seed + 2);
    const { model, data, params, batch, ref } = p;
    const layer = 1;
    const H = refHessian(params, batch, ref);
    const kappa = exactKappa(H, params, model.layout, layer);
    const samples = 48;
    const r = await relativeFlatness(model, data, { samples, seed: seed + 3, blockSize: 16 });
    expect(r).toMatchObject({ layer, samples, hvps: 48 });
    const draw = flatnessProbes(params, model.layout, layer, seed + 3);
    const replay = Array.from({ length: samples }, () => quadratic(H, draw()));
    expectClose(r.estimates, replay, { atol: 1e-5 * Math.abs(kappa), rtol: 1e-4 }, 'dᵀHd per probe');
    // Unbiasedness: the GPU mean within 4 standard errors of κ, and 20,000 float64 probes within 4 of theirs.
    expect(Math.abs(r.kappa - kappa), `κ ${kappa}, estimate ${r.kappa} ± ${r.standardError}`).toBeLessThan(4 * r.standardError);
    const many = flatnessProbes(params, model.layout, layer, seed + 4);
    const est = Array.from({ length: 20_000 }, () => quadratic(H, many()));
    const m = est.reduce((a, b) => a + b, 0) / est.length;
    const se = Math.sqrt(est.reduce((a, x) => a + (x - m) ** 2, 0) / (est.length - 1) / est.length);
    expect(Math.abs(m - kappa), `κ ${kappa}, float64 mean ${m} ± ${se}`).toBeLessThan(4 * se);
    expect(se, 'the tolerance is tight: 4 standard errors are under 5 % of κ').toBeLessThan(0.0125 * Math.abs(kappa));
    // The first layer's κ too (any layer can be measured).
    const first = await relativeFlatness(model, data, { samples: 4, seed: seed + 5, layer: 0 });
    const firstReplay = flatnessProbes(params, model.layout, 0, seed + 5);
    const want0 = Array.from({ length: 4 }, () => quadratic(H, firstReplay()));
    expectClose(first.estimates, want0, { atol: 1e-5 * Math.max(...want0.map(Math.abs)), rtol: 1e-4 }, 'layer 0');
    model.destroy();
    data.destroy();
  });

  for (const [activation, decay] of [['relu', 0], ['tanh', 0.01], ['gelu', 0]] as [Activation, number][]) {
    it(`relative flatness in its authors' protocol (${activation}${decay ? `, weight decay ${decay}` : ''}): feature spreads, each probe and the mean against the float64 κ̃`, async () => {
      const p = await makeProblem(gpu(), [5, 9, 4], activation, 40, seed + 20);
      const { model, data, params, batch, ref } = p;
      const layer = 1;
      const sigma = exactSpread(p, params, layer);
      // The host inputs read back from the GPU dataset are the ones the reference saw.
      expect(Array.from(await data.readInputs())).toEqual(Array.from(batch.x));
      const H = refHessian(params, batch, ref);
      const kappa = exactKappaNormalised(H, params, model.layout, layer, sigma, decay);
      const samples = 48;
      const r = await relativeFlatness(model, data, { samples, seed: seed + 21, blockSize: 16, normalise: true, decay });
      expectClose(r.spread!, sigma, { atol: 1e-12, rtol: 1e-9 }, 'σ_j');
      const w = params.subarray(model.layout.layers[layer].weightOffset, model.layout.layers[layer].biasOffset);
      const norm = w.reduce((sum, x, i) => sum + (x * sigma[i % sigma.length]) ** 2, 0);
      expectClose([r.regulariser], [2 * decay * norm], { atol: 0, rtol: 1e-12 }, '2α Σ‖w̃_s‖²');
      const draw = flatnessProbes(params, model.layout, layer, seed + 21, sigma);
      const replay = Array.from({ length: samples }, () => quadratic(H, draw()) + r.regulariser);
      expectClose(r.estimates, replay, { atol: 1e-5 * Math.abs(kappa), rtol: 1e-4 }, 'd̃ᵀH̃d̃ + 2α‖w̃‖² per probe');
      expect(Math.abs(r.kappa - kappa), `κ̃ ${kappa}, estimate ${r.kappa} ± ${r.standardError}`).toBeLessThan(4 * r.standardError);
      // Unbiased to a tight tolerance: 20,000 float64 probes within 4 standard errors of κ̃, under 5 % of it.
      const many = flatnessProbes(params, model.layout, layer, seed + 22, sigma);
      const est = Array.from({ length: 20_000 }, () => quadratic(H, many()) + r.regulariser);
      const m = est.reduce((a, b) => a + b, 0) / est.length;
      const se = Math.sqrt(est.reduce((a, x) => a + (x - m) ** 2, 0) / (est.length - 1) / est.length);
      expect(Math.abs(m - kappa), `κ̃ ${kappa}, float64 mean ${m} ± ${se}`).toBeLessThan(4 * se);
      expect(se).toBeLessThan(0.0125 * Math.abs(kappa));
      // The same signs as plain κ's probes: the plain estimator is the spread-free special case.
      const plain = await relativeFlatness(model, data, { samples: 4, seed: seed + 21 });
      const plainDraw = flatnessProbes(params, model.layout, layer, seed + 21);
      expectClose(plain.estimates, Array.from({ length: 4 }, () => quadratic(H, plainDraw())), { atol: 1e-5 * Math.abs(exactKappa(H, params, model.layout, layer)), rtol: 1e-4 }, 'plain κ probes');
      expect(plain.regulariser).toBe(0);
      model.destroy();
      data.destroy();
    });
  }

  it('a dead ReLU unit (σ_j = 0) drops out of κ̃; the host spread matches the float64 forward pass on a deeper net', async () => {
    const p = await makeProblem(gpu(), [4, 7, 6, 3], 'relu', 33, seed + 23);
    const { model, data, batch, ref } = p;
    // Unit 2 of layer 1 never fires: its incoming weights and bias pushed far negative.
    const params = Float32Array.from(p.params);
    const l1 = model.layout.layers[1];
    for (let j = 0; j < l1.inDim; j++) params[l1.weightOffset + 2 * l1.inDim + j] = 0;
    params[l1.biasOffset + 2] = -1;
    model.setParams(params);
    const sigma = exactSpread(p, params, 2);
    expect(sigma[2]).toBe(0);
    const spread = featureSpread(params, model.layout, 'relu', 2, await data.readInputs(), batch.count);
    expectClose(spread, sigma, { atol: 1e-12, rtol: 1e-9 }, 'σ_j, layer 2');
    const H = refHessian(params, batch, ref);
    const kappa = exactKappaNormalised(H, params, model.layout, 2, sigma, 0);
    const r = await relativeFlatness(model, data, { samples: 8, seed: seed + 24, normalise: true });
    const draw = flatnessProbes(params, model.layout, 2, seed + 24, sigma);
    const probes = Array.from({ length: 8 }, () => draw());
    for (const d of probes) for (let s = 0; s < 3; s++) expect(Math.abs(d[model.layout.layers[2].weightOffset + s * 6 + 2]), 'dead column of the probe').toBe(0);
    expectClose(r.estimates, probes.map((d) => quadratic(H, d)), { atol: 1e-5 * Math.abs(kappa), rtol: 1e-4 }, 'κ̃ probes with a dead unit');
    model.destroy();
    data.destroy();
  });

  it('per-neuron rescaling: the same function; κ̃ (and each of its probes) unchanged, plain κ moved — on the GPU and in float64', async () => {
    const p = await trainedProblem([6, 10, 8, 3], seed + 25);
    const { model, data, params, batch, ref } = p;
    const layer = 1; // the layer that makes the last layer's features
    const factors = neuronFactors(8, 5, seed);
    expect(Math.max(...factors) / Math.min(...factors), 'a real spread of factors').toBeGreaterThan(4);
    for (const c of factors) expect(c >= 1 / 5 && c <= 5).toBe(true);
    const scaled = rescaleNeurons(params, model.layout, 'relu', { layer, factors });
    // Equal factors are the whole-layer rescaling, bit for bit.
    expect(rescaleNeurons(params, model.layout, 'relu', { layer, factors: new Array(8).fill(5) })).toEqual(rescaleLayers(params, model.layout, 'relu', { layer, alpha: 5 }));
    const before = refForward(params, batch, ref);
    const after = refForward(scaled, batch, ref);
    expectClose(after.logits, before.logits, { atol: 1e-6, rtol: 1e-5 }, 'logits');
    const twin = await Mlp.create(gpu(), model.spec);
    twin.setParams(scaled);
    const [l0, l1] = [await model.loss(data), await twin.loss(data)];
    expectClose([l1.loss], [l0.loss], { atol: 0, rtol: 1e-5 }, 'GPU loss');
    expect(l1.accuracy).toBe(l0.accuracy);

    // float64: κ̃ is a property of the function, plain κ is not.
    const last = 2;
    const H0 = refHessian(params, batch, ref);
    const H1 = refHessian(scaled, batch, ref);
    const exact0 = exactKappaNormalised(H0, params, model.layout, last, exactSpread(p, params, last), 0.01);
    const exact1 = exactKappaNormalised(H1, scaled, model.layout, last, exactSpread(p, scaled, last), 0.01);
    relClose(exact1, exact0, 1e-5, 'float64 κ̃');
    const plain0 = exactKappa(H0, params, model.layout, last);
    const plain1 = exactKappa(H1, scaled, model.layout, last);
    expect(Math.abs(plain1 / plain0 - 1), `float64 κ ${plain0} → ${plain1}`).toBeGreaterThan(0.05);

    const o = { samples: 8, seed, decay: 0.01 };
    const [n0, n1] = [await relativeFlatness(model, data, { ...o, normalise: true }), await relativeFlatness(twin, data, { ...o, normalise: true })];
    expectClose(n1.estimates, n0.estimates, { atol: 1e-6 * Math.abs(n0.kappa), rtol: 1e-4 }, 'κ̃ per probe');
    relClose(n1.kappa, n0.kappa, 1e-4, 'κ̃');
    const [k0, k1] = [await relativeFlatness(model, data, { samples: 8, seed }), await relativeFlatness(twin, data, { samples: 8, seed })];
    expect(Math.abs(k1.kappa / k0.kappa - 1), `κ ${k0.kappa} → ${k1.kappa}`).toBeGreaterThan(0.05);
    // Whole-layer rescaling leaves both unchanged.
    twin.setParams(rescaleLayers(params, model.layout, 'relu', { layer, alpha: 5 }));
    relClose((await relativeFlatness(twin, data, { ...o, normalise: true })).kappa, n0.kappa, 1e-4, 'κ̃, whole layer');
    relClose((await relativeFlatness(twin, data, { samples: 8, seed })).kappa, k0.kappa, 1e-4, 'κ, whole layer');
    twin.destroy();
    model.destroy();
    data.destroy();
  });

  for (const layer of [0, 1]) {
    it(`Dinh rescaling of layer ${layer} by α = 5: same outputs, invariant measures within 1e-4, λmax and trace moved`, async () => {
      const p = await trainedProblem([6, 10, 8, 3], seed + 6);
      const { model, data, params, batch, ref } = p;
      const alpha = 5;
      const scaled = rescaleLayers(params, model.layout, 'relu', { layer, alpha });
      const twin = await Mlp.create(gpu(), model.spec);
      twin.setParams(scaled);
      const before = refForward(params, batch, ref);
      const after = refForward(scaled, batch, ref);
      expectClose(after.logits, before.logits, { atol: 1e-6, rtol: 1e-5 }, 'logits');
      // The random directions of both measures scale with the rescaled entries (rescale-consistent randomness).
      const factor = rescaleLayers(new Float32Array(params.length).fill(1), model.layout, 'relu', { layer, alpha });
      const [d0] = perturbationDirections(params, model.layout, { seed, samples: 1, filterWise: false, adaptiveEta: 0 });
      const [d1] = perturbationDirections(scaled, model.layout, { seed, samples: 1, filterWise: false, adaptiveEta: 0 });
      expectClose(d1, d0.map((x, i) => x * factor[i]), { atol: 0, rtol: 1e-6 }, 'adaptive direction');
      const last = model.layout.layers.length - 1;
      const k0 = flatnessProbes(params, model.layout, last, seed)();
      const k1 = flatnessProbes(scaled, model.layout, last, seed)();
      expectClose(k1, k0.map((x, i) => x * factor[i]), { atol: 1e-7, rtol: 1e-5 }, 'flatness probe');
      const [l0, l1] = [await model.loss(data), await twin.loss(data)];
      expectClose([l1.loss], [l0.loss], { atol: 0, rtol: 1e-5 }, 'GPU loss');
      expect(l1.accuracy).toBe(l0.accuracy);

      const measure = async (m: Mlp) => {
        const a = await adaptiveSharpness(m, data, { rho: 0.3, averageRho: 0.05, samples: 6, steps: 3, seed });
        const k = await relativeFlatness(m, data, { samples: 8, seed });
        const f = await perturbationSharpness(m, data, { rho: 0.05, samples: 6, seed });
        const op = await hessianOperator(m, data);
        const top = await topEigenvalue(op, { tol: 1e-6, maxIter: 500, seed });
        const trace = await hutchinsonTrace(op, { samples: 8, seed });
        op.destroy();
        return { average: a.average, worst: a.worst, kappa: k.kappa, filter: f.meanIncrease, lambda: top.eigenvalue, trace: trace.trace };
      };
      const m0 = await measure(model);
      const m1 = await measure(twin);
      for (const key of ['average', 'worst', 'kappa', 'filter'] as const) relClose(m1[key], m0[key], 1e-4, key);
      expect(m0.kappa).toBeGreaterThan(0);
      expect(Math.abs(m1.lambda / m0.lambda - 1), `λmax ${m0.lambda} → ${m1.lambda}`).toBeGreaterThan(0.5);
      expect(Math.abs(m1.trace / m0.trace - 1), `trace ${m0.trace} → ${m1.trace}`).toBeGreaterThan(0.5);
      twin.destroy();
      model.destroy();
      data.destroy();
    });
  }

  it('refuses bad inputs with messages naming the cause', async () => {
    const { model, data, params } = await makeProblem(gpu(), [5, 6, 3], 'tanh', 10, seed + 7);
    await expect(adaptiveSharpness(model, data, { rho: 0 })).rejects.toThrow(/rho must be a finite number > 0/);
    await expect(adaptiveSharpness(model, data, { rho: -1 })).rejects.toThrow(/rho must be a finite number > 0/);
    await expect(adaptiveSharpness(model, data, { rho: NaN })).rejects.toThrow(/rho must be a finite number > 0/);
    await expect(adaptiveSharpness(model, data, { averageRho: 0 })).rejects.toThrow(/averageRho must be a finite number > 0/);
    await expect(adaptiveSharpness(model, data, { eta: -0.1 })).rejects.toThrow(/eta must be a finite number ≥ 0/);
    await expect(adaptiveSharpness(model, data, { steps: 1.5 })).rejects.toThrow(/steps must be a non-negative integer/);
    await expect(perturbationSharpness(model, data, { adaptiveEta: 0, worstCase: true })).rejects.toThrow(/use adaptiveSharpness/);
    await expect(relativeFlatness(model, data, { layer: 2 })).rejects.toThrow(/layer 2 does not exist; the network has layers 0…1/);
    await expect(relativeFlatness(model, data, { samples: 0 })).rejects.toThrow(/samples must be a positive integer/);
    expect(() => rescaleLayers(params, model.layout, 'tanh', { layer: 0, alpha: 5 })).toThrow(/positively homogeneous.*'tanh'/);
    expect(() => rescaleLayers(params, model.layout, 'gelu', { layer: 0, alpha: 5 })).toThrow(/Fix: run the rescaling check on a relu network/);
    expect(() => rescaleLayers(params, model.layout, 'relu', { layer: 0, alpha: -2 })).toThrow(/alpha must be a finite number > 0/);
    expect(() => rescaleLayers(params, model.layout, 'relu', { layer: 1, alpha: 2 })).toThrow(/layer 1 needs a layer after it.*use 0…0/);
    expect(() => rescaleNeurons(params, model.layout, 'tanh', { layer: 0, factors: new Array(6).fill(2) })).toThrow(/positively homogeneous.*'tanh'/);
    expect(() => rescaleNeurons(params, model.layout, 'relu', { layer: 0, factors: [2, 2] })).toThrow(/2 factors for layer 0's 6 neurons/);
    expect(() => rescaleNeurons(params, model.layout, 'relu', { layer: 0, factors: [2, 2, 0, 2, 2, 2] })).toThrow(/must be a finite number > 0/);
    expect(() => neuronFactors(6, 0.5, 0)).toThrow(/spread must be a finite number ≥ 1/);
    await expect(relativeFlatness(model, data, { decay: -1 })).rejects.toThrow(/decay must be a finite number ≥ 0/);
    model.destroy();
    data.destroy();
  });
});
