/**
 * Adaptive sharpness (Kwon, Kim, Park & Choi 2021, "ASAM", ICML; the measure Andriushchenko et al.
 * 2023, "A Modern Look at the Relationship between Sharpness and Generalization", ICML, study):
 * the loss increase over perturbations measured in units of the weights themselves. With
 * c = |θ| + η (elementwise, every parameter, biases included), δ = ε ⊘ c and P parameters,
 *
 *   worst case   S_max(ρ)  = max_{‖δ‖ ≤ ρ} L(θ + c⊙δ) − L(θ)
 *   average case S_avg(ρ') = E_u L(θ + ρ'·c⊙u·√P/‖u‖) − L(θ),   u ~ N(0, I)
 *
 * The average case is Andriushchenko et al.'s E_{δ ~ N(0, ρ'²I)} with the norm of δ fixed at ρ'√P:
 * each weight moves by ~ρ' of itself. Its radius is its own (averageRho): a random direction on the
 * worst case's sphere ‖δ‖ = ρ moves each weight by only ~ρ/√P, which on a 50,890-parameter net
 * raises the loss by ~1e-6 — a few float32 roundings of the loss — against ~5e-2 for the ascent
 * (measured on the default study's minimum). averageRho = ρ/√P puts both on the same sphere.
 *
 * With η = 0 (the default here, as in Andriushchenko et al.'s c = |w|) both are exactly invariant
 * to any positive elementwise rescaling of θ that leaves the network's function unchanged — Dinh et
 * al. 2017's ReLU layer rescalings among them: θ' = Sθ gives c' = Sc, ∇L' = S⁻¹∇L, so the ascent
 * sees the same c⊙∇L and the same δ, and L(θ' + c'⊙δ) = L(θ + c⊙δ). ASAM's training recipe adds
 * η = 0.01 so that zero weights still move; any η > 0 breaks the invariance by O(η/|θ|), so it is
 * an option here, not the default. Entries with θ_i = 0 (and η = 0) are not perturbed.
 *
 * The average case is perturbationSharpness with adaptive, antithetic directions (perturbation.ts:
 * seeded samples, each the mean increase at ±ε, batched through lossAtPoints); the pairing cancels
 * the first-order term ∇L·ε, which at a not-quite-stationary θ otherwise gives each sample a
 * zero-mean spread far above the mean. The worst case is projected normalised-gradient
 * ascent in δ, entirely on the GPU over one flat parameter buffer:
 *
 *   δ₁ = ρ·ĝ₀,   δ_{t+1} = ρ·(δ_t + ρ·ĝ_t)/‖δ_t + ρ·ĝ_t‖,   ĝ_t = c⊙∇L(θ + c⊙δ_t) / ‖c⊙∇L(…)‖
 *
 * δ₁ is ASAM's (and, with c ≡ ‖θ‖, SAM's) first-order worst case; later steps correct it for
 * curvature. Iterates stay on the sphere ‖δ‖ = ρ: a maximum over the ball sits on its boundary
 * unless L has a local maximum inside it, which near a minimum and for small ρ it does not. Every
 * iterate is a feasible point, so the reported max over iterates is a lower bound on S_max
 * (Andriushchenko et al. run Auto-PGD for their tighter bound). Each step is one command encoder
 * (reset θ, displace, gradient pass, the elementwise products and normalisations of
 * gpu/ops/elementwise, sqnorm reductions) and reads nothing back: the loss of every iterate is
 * copied into a slot and read once at the end. Costs `steps` gradient passes and one loss pass.
 */
import { releaseDispatches, type Dispatch } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareAxpby } from '../gpu/ops/elementwise';
import { prepareReduce } from '../gpu/ops/reduce';
import type { EvalOptions, Mlp } from '../autograd/mlp';
import { SCALAR_SLOTS, SLOT, type PassPlan } from '../autograd/pass';
import type { GpuDataset } from '../data/gpu-dataset';
import { perturbationSharpness } from './perturbation';
import { holdParams } from './slices';

export interface AdaptiveSharpnessOptions extends EvalOptions {
  /** Worst case: radius of the ball ‖ε ⊘ (|θ| + η)‖₂ ≤ ρ (default 0.5, ASAM's). */
  rho?: number;
  /** Average case: each weight moved by ~averageRho of itself (default 0.05). */
  averageRho?: number;
  /** Added to |θ| so zero entries move too (default 0: exactly rescaling-invariant). */
  eta?: number;
  /** Random (antithetic) samples of the average case (default 8: 16 points, one pass of lossAtPoints). */
  samples?: number;
  /** Ascent steps of the worst case (default 3; 0 skips it). */
  steps?: number;
  seed?: number;
}

export interface AdaptiveSharpness {
  rho: number;
  averageRho: number;
  eta: number;
  baseLoss: number;
  /** Mean increase over the random samples (S_avg), each the mean over ±ε. */
  average: number;
  averageStd: number;
  /** Each random sample's increase (the mean over ±ε), in order. */
  increases: number[];
  samples: number;
  /** Largest increase over the ascent iterates δ₁…δ_T (a lower bound on S_max); NaN when steps = 0. */
  worst: number;
  /** L(θ + c⊙δ_t) − L(θ) for t = 1…T. */
  ascent: number[];
  seed: number;
}

export async function adaptiveSharpness(model: Mlp, data: GpuDataset, options: AdaptiveSharpnessOptions = {}): Promise<AdaptiveSharpness> {
  const { rho = 0.5, averageRho = 0.05, eta = 0, samples = 8, steps = 3, seed = 0, ...evalOptions } = options;
  for (const [name, r] of [['rho', rho], ['averageRho', averageRho]] as const) {
    if (!(r > 0 && Number.isFinite(r))) throw new Error(`adaptiveSharpness: ${name} must be a finite number > 0 (a radius in units of |θ|), got ${r}`);
  }
  if (!(eta >= 0 && Number.isFinite(eta))) throw new Error(`adaptiveSharpness: eta must be a finite number ≥ 0, got ${eta}`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`adaptiveSharpness: samples must be a positive integer, got ${samples}`);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`adaptiveSharpness: steps must be a non-negative integer, got ${steps}`);
  const random = await perturbationSharpness(model, data, { ...evalOptions, rho: averageRho, samples, seed, adaptiveEta: eta, antithetic: true });
  const ascent = steps > 0 ? await adaptiveAscent(model, data, { rho, eta, steps, evalOptions }) : [];
  return {
    rho, averageRho, eta, baseLoss: random.baseLoss, average: random.meanIncrease, averageStd: random.stdIncrease, increases: random.increases, samples,
    worst: ascent.length ? Math.max(...ascent.map((l) => l - random.baseLoss)) : NaN,
    ascent: ascent.map((l) => l - random.baseLoss), seed,
  };
}

/** The losses L(θ + c⊙δ_t), t = 1…steps, of the projected ascent above. */
async function adaptiveAscent(
  model: Mlp, data: GpuDataset, o: { rho: number; eta: number; steps: number; evalOptions: EvalOptions },
): Promise<number[]> {
  const { gpu, params } = model;
  const P = model.layout.size;
  const { rho, steps } = o;
  const theta = await model.getParams();
  const owned: Tensor[] = [];
  const make = (label: string, values?: Float32Array) => {
    const t = Tensor.create(gpu, [P], { label: `adaptive:${label}`, ...(values ? { data: values } : { fill: 0 }) });
    owned.push(t);
    return t;
  };
  const scale = make('scale', Float32Array.from(theta, (x) => Math.abs(x) + o.eta));
  const delta = make('delta');
  const work = make('work');
  const gradient = make('gradient');
  const scalars = Tensor.create(gpu, [2], { label: 'adaptive:norms' });
  const losses = Tensor.create(gpu, [steps * SCALAR_SLOTS], { label: 'adaptive:losses' });
  owned.push(scalars, losses);
  const held = holdParams(model);
  const vector = { kind: 'vector', scalars: scale, slot: 0 } as const;
  const plans: PassPlan[] = [];
  const dispatches: Dispatch[] = [];
  const plan = async (p: Promise<PassPlan>) => (plans.push(await p), plans.at(-1)!);
  const keep = <T extends Dispatch | Dispatch[]>(d: T): T => (dispatches.push(...[d].flat()), d);
  try {
    const gradientPass = await plan(model.preparePass({ kind: 'gradient', data, gradient, ...o.evalOptions }));
    const lossPass = await plan(model.preparePass({ kind: 'loss', data, ...o.evalOptions }));
    const displace = keep(await prepareAxpby(gpu, P, 1, { buffer: delta }, 1, { buffer: params }, vector));
    // work = c⊙g; δ += ρ·work/‖work‖; work = ρ·δ/‖δ‖ (the projection, out of place), copied back into δ.
    const update = [
      keep(await prepareAxpby(gpu, P, 1, { buffer: gradient }, 0, { buffer: work }, vector)),
      ...keep(await prepareReduce(gpu, { kind: 'sqnorm', n: P, x: { buffer: work }, out: scalars, slot: 0 })),
      keep(await prepareAxpby(gpu, P, rho, { buffer: work }, 1, { buffer: delta }, { kind: 'rsqrt', scalars, slot: 0 })),
      ...keep(await prepareReduce(gpu, { kind: 'sqnorm', n: P, x: { buffer: delta }, out: scalars, slot: 1 })),
      keep(await prepareAxpby(gpu, P, rho, { buffer: delta }, 0, { buffer: work }, { kind: 'rsqrt', scalars, slot: 1 })),
    ];
    const keepLoss = (encoder: GPUCommandEncoder, plan: PassPlan, t: number) =>
      encoder.copyBufferToBuffer(plan.scalars.buffer, 0, losses.buffer, t * SCALAR_SLOTS * 4, SCALAR_SLOTS * 4);
    // Step t: gradient at θ + c⊙δ_t (δ₀ = 0 is θ itself), its loss kept for t ≥ 1, then δ_{t+1}.
    for (let t = 0; t < steps; t++) {
      gpu.submit((encoder) => {
        held.reset(encoder);
        gpu.encode(encoder, [displace]);
        gradientPass.encode(encoder);
        if (t > 0) keepLoss(encoder, gradientPass, t - 1);
        gpu.encode(encoder, update);
        encoder.copyBufferToBuffer(work.buffer, 0, delta.buffer, 0, P * 4);
      });
    }
    gpu.submit((encoder) => {
      held.reset(encoder);
      gpu.encode(encoder, [displace]);
      lossPass.encode(encoder);
      keepLoss(encoder, lossPass, steps - 1);
    });
    const s = await losses.read();
    const wd = o.evalOptions.includeRegulariser ? o.evalOptions.weightDecay ?? 0 : 0;
    const out = Array.from({ length: steps }, (_, t) => s[t * SCALAR_SLOTS + SLOT.loss] + wd * s[t * SCALAR_SLOTS + SLOT.halfSqNorm]);
    const bad = out.findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) {
      throw new Error(`adaptiveSharpness: ascent step ${bad + 1} gave a loss of ${out[bad]}; the scaled gradient c⊙∇L vanished ` +
        '(θ is exactly stationary, or every |θ_i| + η is 0) or the loss overflowed — lower rho, or use the average case alone (steps 0)');
    }
    return out;
  } finally {
    held.release();
    releaseDispatches(dispatches);
    for (const p of plans) p.destroy();
    for (const t of owned) t.destroy();
  }
}
