/**
 * Sharpness measures that survive reparametrisation, on the real adapter: adaptive sharpness
 * (average and worst case) against float64 replays of the same perturbations and ascent, relative
 * flatness against the exact κ from the dense float64 Hessian, and Dinh et al.'s ReLU rescaling —
 * the same function, the invariant measures unchanged, λmax and the trace moved.
 */
import { describe, expect, it } from 'vitest';
import { refForward, refGradient, refHessian } from '../../src/autograd/reference';
import { rescaleLayers } from '../../src/autograd/rescale';
import { Mlp } from '../../src/autograd/mlp';
import type { ParamLayout } from '../../src/autograd/layout';
import { train } from '../../src/train/trainer';
import { adaptiveSharpness } from '../../src/probe/adaptive';
import { perturbationDirections, perturbationSharpness } from '../../src/probe/perturbation';
import { flatnessProbes, relativeFlatness } from '../../src/probe/relative-flatness';
import { hessianOperator } from '../../src/probe/operator';
import { topEigenvalue } from '../../src/probe/power';
import { hutchinsonTrace } from '../../src/probe/hutchinson';
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
  const P = layout.size;
  const { inDim, outDim, weightOffset: o } = layout.layers[layer];
  let kappa = 0;
  for (let s = 0; s < outDim; s++) {
    for (let t = 0; t < outDim; t++) {
      let inner = 0;
      let trace = 0;
      for (let j = 0; j < inDim; j++) {
        inner += params[o + s * inDim + j] * params[o + t * inDim + j];
        trace += H[(o + s * inDim + j) * P + o + t * inDim + j];
      }
      kappa += inner * trace;
    }
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
    model.destroy();
    data.destroy();
  });
});
