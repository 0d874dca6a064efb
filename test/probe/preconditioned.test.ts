/**
 * Adam's preconditioned sharpness on a tiny problem, against float64: the GPU's P^{-1/2} from the
 * optimizer's live second moment, one application of P^{-1/2}HP^{-1/2}, and its λmax by power
 * iteration against the dense eig(P^{-1/2}HP^{-1/2}) (= eig(P⁻¹H), similar matrices).
 */
import { describe, expect, it } from 'vitest';
import { Optimizer } from '../../src/optim/optimizer';
import { Tensor } from '../../src/gpu/tensor';
import { AdamPreconditioner } from '../../src/optim/preconditioner';
import { hessianOperator } from '../support/operator';
import { preconditionedOperator } from '../../src/probe/preconditioned';
import { powerIteration } from '../support/power';
import { refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { expectClose, relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem } from '../support/nets';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();

describe(`preconditioned sharpness λmax(P⁻¹H) with Adam's P (seed ${seed})`, () => {
  for (const { widths, count, steps } of [{ widths: [7, 5, 3], count: 33, steps: 7 }, { widths: [1, 7, 2], count: 9, steps: 1 }]) {
    it(`widths ${widths.join('-')} after ${steps} Adam steps: P^{-1/2}, D·H·D·x and λmax match float64`, async () => {
      const g = gpu();
      const p = await makeProblem(g, widths, 'tanh', count, seed);
      const grad = p.model.vector();
      const config = { kind: 'adam' as const, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-3 };
      const optimizer = await Optimizer.create(g, config, p.model.params, grad);
      for (let t = 0; t < steps; t++) {
        await p.model.gradient(p.data, grad);
        optimizer.step();
      }
      const pre = await AdamPreconditioner.create(optimizer);
      pre.inverseRoot.write(new Float32Array(grad.size).fill(NaN));
      pre.update();
      const v = (await optimizer.state()).find((s) => s.name === 'exp_avg_sq')!.values;
      const t = optimizer.stepCount;
      const d = Array.from(v, (vi) => 1 / Math.sqrt((1 - 0.9 ** t) * (Math.sqrt(vi / (1 - 0.999 ** t)) + 1e-3)));
      expectClose(await pre.inverseRoot.read(), d, { atol: 0, rtol: 1e-5 }, 'P^{-1/2}');
      expect(pre.threshold()).toBeCloseTo((2 + 2 * 0.9) / ((1 - 0.9) * 0.01), 9);

      // The float64 preconditioned Hessian D·H·D at the GPU's parameters.
      const theta = await p.model.getParams();
      const n = theta.length;
      const H = refHessian(theta, p.batch, p.ref);
      const M = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = d[i] * H[i * n + j] * d[j];

      const inner = await hessianOperator(p.model, p.data);
      const op = await preconditionedOperator(inner, pre.inverseRoot);
      const x = randomNormal(n, seed + 5);
      op.input.write(x);
      op.output.write(new Float32Array(n).fill(NaN));
      const encoder = g.device.createCommandEncoder();
      op.encode(encoder);
      g.device.queue.submit([encoder.finish()]);
      const mx = Array.from({ length: n }, (_, i) => M.slice(i * n, (i + 1) * n).reduce((s, m, j) => s + m * x[j], 0));
      const scale = Math.max(...mx.map(Math.abs));
      expectClose(await op.output.read(), mx, { atol: 1e-5 * scale, rtol: 1e-4 }, 'D·H·D·x');

      const eig = symmetricEigenvalues(M, n);
      const dominant = Math.abs(eig[0]) >= Math.abs(eig[n - 1]) ? eig[0] : eig[n - 1];
      const power = await powerIteration(op, { maxIter: 2000, tol: 1e-7, seed });
      expect(relDiff(power.eigenvalue, dominant), `${power.eigenvalue} vs ${dominant} (${power.iterations} iterations)`).toBeLessThan(1e-3);
      power.vector.destroy();
      for (const r of [op, inner, pre, optimizer, grad, p.model, p.data]) r.destroy();
    });
  }

  it('refuses an SGD optimizer and a diagonal of the wrong size, saying why', async () => {
    const g = gpu();
    const p = await makeProblem(g, [3, 2, 2], 'relu', 4, seed);
    const grad = p.model.vector();
    const sgd = await Optimizer.create(g, { kind: 'sgd', lr: 0.1 }, p.model.params, grad);
    await expect(AdamPreconditioner.create(sgd)).rejects.toThrow(/SGD, which has no preconditioner/);
    const inner = await hessianOperator(p.model, p.data);
    const wrong = Tensor.create(g, [3]);
    await expect(preconditionedOperator(inner, wrong)).rejects.toThrow(/the diagonal has 3 entries but the operator acts on/);
    for (const r of [wrong, inner, sgd, grad, p.model, p.data]) r.destroy();
  });
});
