/**
 * Full-batch gradient descent with a λmax trace on a tiny problem, against float64: each step is
 * θ − η·∇L(θ) over the whole (chunked) dataset, the loss is recorded at every θ_k, and λmax is
 * recorded at exactly the requested steps and equals the dense float64 Hessian's top eigenvalue there.
 */
import { describe, expect, it } from 'vitest';
import { fullBatchDescent } from '../../src/train/full-batch';
import { refForward, refGradient, refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { expectClose, relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem } from '../support/nets';
import { freshSeed } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();

describe(`full-batch gradient descent with a λmax trace (seed ${seed})`, () => {
  for (const { widths, count, chunkSize } of [{ widths: [7, 5, 3], count: 33, chunkSize: 7 }, { widths: [1, 7, 2], count: 257, chunkSize: 257 }]) {
    it(`widths ${widths.join('-')}, ${count} samples in chunks of ${chunkSize}: steps, losses and λmax at steps 0, 2, 4, 5 match float64`, async () => {
      const p = await makeProblem(gpu(), widths, 'tanh', count, seed);
      const lr = 0.3;
      const steps = 5;
      const r = await fullBatchDescent(p.model, p.data, { lr, steps, every: 2, powerIters: 200, firstPowerIters: 300, chunkSize, seed });
      expect(r.diverged).toBeNull();
      expect(r.steps).toBe(steps);
      expect(r.trace.map((t) => t.step)).toEqual([0, 2, 4, 5]);
      expect(r.twoOverEta).toBe(2 / lr);

      // The float64 trajectory θ_{k+1} = θ_k − η·∇L(θ_k), its losses and top eigenvalues.
      let theta = Float64Array.from(p.params);
      const losses: number[] = [];
      const tops = new Map<number, number>();
      for (let k = 0; k <= steps; k++) {
        losses.push(refForward(theta, p.batch, p.ref).loss);
        if (r.trace.some((t) => t.step === k)) {
          const eig = symmetricEigenvalues(refHessian(theta, p.batch, p.ref), theta.length);
          // Power iteration finds the eigenvalue of largest magnitude.
          tops.set(k, Math.abs(eig[0]) >= Math.abs(eig[eig.length - 1]) ? eig[0] : eig[eig.length - 1]);
        }
        if (k < steps) {
          const g = refGradient(theta, p.batch, p.ref);
          theta = theta.map((t, i) => t - lr * g[i]);
        }
      }
      expectClose(await p.model.getParams(), theta, { atol: 1e-6, rtol: 1e-4 }, 'θ after 5 steps');
      expectClose(r.losses, losses, { atol: 1e-6, rtol: 1e-5 }, 'losses at θ_0..θ_5');
      for (const t of r.trace) {
        expect(relDiff(t.lambdaMax, tops.get(t.step)!), `step ${t.step}: ${t.lambdaMax} vs ${tops.get(t.step)}`).toBeLessThan(1e-3);
        expect(t.loss).toBe(r.losses[t.step]);
      }
      p.model.destroy();
      p.data.destroy();
    });
  }

  it('rejects bad options before any GPU work', async () => {
    const p = await makeProblem(gpu(), [3, 2, 2], 'relu', 4, seed);
    await expect(fullBatchDescent(p.model, p.data, { lr: 0, steps: 1, every: 1, powerIters: 1 })).rejects.toThrow(/lr must be a finite number > 0/);
    await expect(fullBatchDescent(p.model, p.data, { lr: 0.1, steps: 2, every: 0, powerIters: 1 })).rejects.toThrow(/every must be a positive integer/);
    p.model.destroy();
    p.data.destroy();
  });
});
