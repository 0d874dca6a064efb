import { describe, expect, it } from 'vitest';
import { Optimizer, type OptimizerConfig } from '../../src/optim/optimizer';
import { refOptimizerInit, refOptimizerStep } from '../../src/optim/reference';
import { Tensor } from '../../src/gpu/tensor';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
const SIZES = [1, 7, 33, 257, 100_003];
// f32 state rounded once per step over 5 steps, against float64; |θ| and |buf| stay below ~10.
const TOL = { atol: 2e-6, rtol: 1e-5 };

/**
 * Gradients with |g| ∈ [0.5, ∞): every parameter then moves by ≳ 0.28·lr on the first step even
 * with the weight decays below (|wd·θ| ≤ 0.05·4.5), so "moved" is a deterministic check that every
 * thread wrote, and Adam never sits in the ε-dominated regime where f32 and float64 may disagree.
 */
function gradient(n: number, s: number): Float32Array {
  return randomNormal(n, s).map((z) => Math.sign(z || 1) * (0.5 + Math.abs(z)));
}

const SGD_LRS = [0.1, 0.05, 0.2, 0.02, 0.08];
const ADAM_LRS = [0.01, 0.03, 0.005, 0.02, 0.01];

const CASES: { name: string; config: OptimizerConfig; lrs: number[] }[] = [
  { name: 'sgd', config: { kind: 'sgd', lr: 0.1 }, lrs: SGD_LRS },
  { name: 'sgd + momentum', config: { kind: 'sgd', lr: 0.1, momentum: 0.9 }, lrs: SGD_LRS },
  { name: 'sgd + nesterov', config: { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, lrs: SGD_LRS },
  { name: 'sgd + momentum + dampening', config: { kind: 'sgd', lr: 0.1, momentum: 0.8, dampening: 0.5 }, lrs: SGD_LRS },
  { name: 'sgd + weight decay', config: { kind: 'sgd', lr: 0.1, weightDecay: 0.05 }, lrs: SGD_LRS },
  { name: 'sgd + nesterov + weight decay', config: { kind: 'sgd', lr: 0.1, momentum: 0.7, nesterov: true, weightDecay: 0.05 }, lrs: SGD_LRS },
  { name: 'adam', config: { kind: 'adam' }, lrs: ADAM_LRS },
  { name: 'adam + weight decay (coupled L2)', config: { kind: 'adam', weightDecay: 0.05 }, lrs: ADAM_LRS },
  { name: 'adamw (decoupled), non-default β and ε', config: { kind: 'adamw', weightDecay: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6 }, lrs: ADAM_LRS },
];

describe(`optimizers vs float64 reference (seed ${seed})`, () => {
  for (const { name, config, lrs } of CASES) {
    it(`${name}: ${lrs.length} steps with changing lr at sizes ${SIZES.join(', ')}`, async () => {
      const g = gpu();
      for (const n of SIZES) {
        const theta0 = randomNormal(n, seed + n);
        const params = Tensor.create(g, [n], { data: theta0 });
        const grad = Tensor.create(g, [n]);
        const opt = await Optimizer.create(g, config, params, grad);
        const ref = refOptimizerInit(config, theta0);
        for (let t = 0; t < lrs.length; t++) {
          const gr = gradient(n, seed + 1000 * (t + 1) + n);
          grad.write(gr);
          opt.step(lrs[t]);
          refOptimizerStep(ref, gr, lrs[t]);
          const label = `${name} n=${n} step ${t + 1}`;
          const theta = await params.read();
          expectClose(theta, ref.theta, TOL, `θ ${label}`);
          if (t === 0) {
            // In-place outputs cannot be NaN-poisoned; instead every element must have left θ0.
            for (let i = 0; i < n; i++) {
              if (Math.abs(theta[i] - theta0[i]) <= TOL.atol + TOL.rtol * Math.abs(theta0[i])) {
                throw new Error(`θ ${label}: element ${i} did not move (${theta0[i]} → ${theta[i]})`);
              }
            }
          }
          const state = await opt.state();
          expect(state.map((s) => s.name)).toEqual([...ref.buffers.keys()]);
          for (const s of state) expectClose(s.values, ref.buffers.get(s.name)!, TOL, `${s.name} ${label}`);
        }
        expect(opt.stepCount).toBe(lrs.length);
        opt.destroy();
        params.destroy();
        grad.destroy();
      }
    });
  }

  for (const config of [
    { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
    { kind: 'adam', weightDecay: 0.01 },
    { kind: 'adamw' },
  ] as OptimizerConfig[]) {
    it(`${config.kind}: state() → loadState() on a new optimizer gives an identical next step`, async () => {
      const g = gpu();
      const n = 1000;
      const theta0 = randomNormal(n, seed + 7);
      const grads = [0, 1, 2].map((k) => gradient(n, seed + 100 + k));
      const paramsA = Tensor.create(g, [n], { data: theta0 });
      const gradA = Tensor.create(g, [n]);
      const a = await Optimizer.create(g, config, paramsA, gradA);
      for (const gr of grads.slice(0, 2)) {
        gradA.write(gr);
        a.step(0.01);
      }
      const saved = await a.state();
      const paramsB = Tensor.create(g, [n], { data: await paramsA.read() });
      const gradB = Tensor.create(g, [n]);
      const b = await Optimizer.create(g, config, paramsB, gradB);
      b.loadState(saved, a.stepCount);
      expect(b.stepCount).toBe(2);
      gradA.write(grads[2]);
      gradB.write(grads[2]);
      a.step(0.02);
      b.step(0.02);
      // Same inputs, same kernel, same uniform: bit-identical.
      const exact = { atol: 0, rtol: 0 };
      expectClose(await paramsB.read(), await paramsA.read(), exact, `${config.kind} θ after resume`);
      const [sa, sb] = [await a.state(), await b.state()];
      sa.forEach((s, i) => expectClose(sb[i].values, s.values, exact, `${config.kind} ${s.name} after resume`));
      for (const x of [a, b]) x.destroy();
      for (const t of [paramsA, gradA, paramsB, gradB]) t.destroy();
    });
  }

  it('loadState rejects foreign buffers, wrong sizes and bad step counts', async () => {
    const g = gpu();
    const params = Tensor.create(g, [10], { fill: 1 });
    const grad = Tensor.create(g, [10], { fill: 0 });
    const opt = await Optimizer.create(g, { kind: 'adam' }, params, grad);
    const v = new Float32Array(10);
    expect(() => opt.loadState([{ name: 'momentum_buffer', values: v }], 1)).toThrow(
      /state has buffers \[momentum_buffer\] but this optimizer keeps \[exp_avg, exp_avg_sq\]/,
    );
    expect(() => opt.loadState([{ name: 'exp_avg', values: v }, { name: 'exp_avg_sq', values: new Float32Array(9) }], 1)).toThrow(
      /'exp_avg_sq' has 9 values but params has 10/,
    );
    expect(() => opt.loadState([{ name: 'exp_avg', values: v }, { name: 'exp_avg_sq', values: v }], -1)).toThrow(/stepCount = -1/);
    expect(opt.stepCount).toBe(0);
    opt.destroy();
    params.destroy();
    grad.destroy();
  });

  it('refuses a second step in one encoder, mismatched tensors and a bad lr', async () => {
    const g = gpu();
    const params = Tensor.create(g, [10], { fill: 1 });
    const grad = Tensor.create(g, [10], { fill: 0 });
    await expect(Optimizer.create(g, { kind: 'sgd', lr: 1 }, params, Tensor.create(g, [9]))).rejects.toThrow(
      /grad '.*' has 9 elements but params '.*' has 10/,
    );
    await expect(Optimizer.create(g, { kind: 'sgd', lr: 1 }, params, params)).rejects.toThrow(/different buffers/);
    const opt = await Optimizer.create(g, { kind: 'sgd', lr: 1, momentum: 0.5 }, params, grad);
    const encoder = g.device.createCommandEncoder();
    opt.encodeStep(encoder, 0.1);
    expect(() => opt.encodeStep(encoder, 0.1)).toThrow(/submit each step's encoder/);
    expect(() => opt.step(-1)).toThrow(/lr = -1 is invalid/);
    g.device.queue.submit([encoder.finish()]);
    await g.sync();
    expect(opt.stepCount).toBe(1);
    opt.destroy();
    params.destroy();
    grad.destroy();
  });
});
