/**
 * λmax by Lanczos with a settling stop (lanczos-top.ts): against operators with a known spectrum and
 * the float64 dense Hessian of tiny MLPs; the stop rule of lanczos() itself.
 */
import { describe, expect, it } from 'vitest';
import { lanczos } from '../../src/probe/lanczos';
import { lanczosTop } from '../../src/probe/lanczos-top';
import { hessianOperator } from '../support/operator';
import { refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { useGpu } from '../support/gpu';
import { makeProblem } from '../support/nets';
import { freshSeed } from '../support/random';
import { knownSpectrum, spread } from './spectra';

const gpu = useGpu();
const seed = freshSeed();

describe(`lanczosTop (seed ${seed})`, () => {
  it('stops when the top Ritz value settles; λ lies within its explicit residual', async () => {
    const spectrum = [10, 9, 7, ...spread(97, -1, 5)];
    const op = await knownSpectrum(gpu(), spectrum, seed + 10);
    const r = await lanczosTop(op, { tol: 1e-6, seed });
    expect(r.converged).toBe(true);
    expect(r.steps).toBeLessThan(100);
    expect(r.hvps).toBe(r.steps + 1);
    expect(r.history).toHaveLength(r.steps);
    expect(Math.abs(r.eigenvalue - 10)).toBeLessThanOrEqual(r.residual * 10 + 1e-5);
    expect(Math.abs(r.eigenvalue - 10) / 10).toBeLessThan(1e-5);
    op.destroy();
  });

  it('gives the algebraically largest eigenvalue when the negative end is larger in magnitude', async () => {
    const op = await knownSpectrum(gpu(), [3, ...spread(60, -1, 1), -20], seed + 1);
    const r = await lanczosTop(op, { tol: 1e-6, seed });
    expect(r.converged).toBe(true);
    expect(Math.abs(r.eigenvalue - 3) / 3).toBeLessThan(1e-5);
    op.destroy();
  });

  it('says so when it has not settled within maxSteps', async () => {
    const op = await knownSpectrum(gpu(), [10, 9.999, ...spread(60, -1, 5)], seed + 2);
    const r = await lanczosTop(op, { tol: 1e-12, maxSteps: 3, seed });
    expect(r.steps).toBe(3);
    expect(r.converged).toBe(false);
    op.destroy();
  });

  it('tiny MLPs: λmax matches the float64 dense Hessian to 1e-4', async () => {
    const g = gpu();
    for (const act of ['tanh', 'relu'] as const) {
      const { model, data, batch, ref, params } = await makeProblem(g, [6, 12, 8, 3], act, 30, seed + 5);
      const eig = symmetricEigenvalues(refHessian(params, batch, ref), model.layout.size);
      const op = await hessianOperator(model, data);
      const r = await lanczosTop(op, { tol: 1e-7, seed });
      expect(r.converged, act).toBe(true);
      expect(Math.abs(r.eigenvalue - eig[0]), `${act}: ${r.eigenvalue} vs ${eig[0]}`).toBeLessThanOrEqual(1e-4 * Math.abs(eig[0]));
      op.destroy();
      model.destroy();
      data.destroy();
    }
  });

  it("lanczos' stop rule ends the run at the step it returns true, with the same α and β as a full run", async () => {
    const op = await knownSpectrum(gpu(), spread(50, -2, 4), seed + 3);
    const full = await lanczos(op, { steps: 8, seed });
    const calls: number[] = [];
    const cut = await lanczos(op, { steps: 8, seed, stop: (alpha) => (calls.push(alpha.length), alpha.length === 3) });
    expect(calls).toEqual([1, 2, 3]);
    expect(cut.steps).toBe(3);
    expect(cut.hvps).toBe(3);
    expect(Array.from(cut.alpha)).toEqual(Array.from(full.alpha.subarray(0, 3)));
    expect(Array.from(cut.beta)).toEqual(Array.from(full.beta.subarray(0, 3)));
    full.basis.destroy();
    cut.basis.destroy();
    op.destroy();
  });
});
