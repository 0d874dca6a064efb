/**
 * Block subspace iteration on the real adapter: against operators with a known spectrum (a
 * near-degenerate top pair, a dominant negative eigenvalue), against the float64 dense Hessian of
 * tiny MLPs through the block pass, per-layer blocks side by side in one block, and at k = 1
 * against the power-iteration reference (test/support/power.ts), cold and warm-started.
 */
import { describe, expect, it } from 'vitest';
import { blockEigen, topEigenpair } from '../../src/probe/block-eigen';
import { lanczos } from '../../src/probe/lanczos';
import { Tensor } from '../../src/gpu/tensor';
import { powerIteration } from '../support/power';
import { blockOf, hessianBlockOperator, restrictRows } from '../../src/probe/block-operator';
import { layerBlock } from '../../src/probe/layer';
import { refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import type { ParamLayout } from '../../src/autograd/layout';
import { relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';
import { alignment, gappedProblem, hostResidual, knownSpectrum, spread } from './spectra';

const gpu = useGpu();
const seed = freshSeed();

describe(`block eigen-solver (seed ${seed})`, () => {
  it('finds a near-degenerate top pair and the next ones of a known spectrum, with honest residuals', async () => {
    const eigenvalues = [10, 9.999, 6, 5, ...spread(76, -1, 2)];
    const op = await knownSpectrum(gpu(), eigenvalues, seed);
    const block = blockOf(op, 8);
    const r = await blockEigen(block, { want: 4, tol: 1e-6, maxIter: 200, seed: seed + 1, vectors: true });
    const [group] = r.groups;
    const v = await r.vectors!.read();
    for (let i = 0; i < 4; i++) {
      const what = `θ${i} = ${group.values[i]} vs ${op.eigenvalues[i]}, residual ${group.residuals[i]}, ${r.iterations} passes`;
      expect(group.converged[i], what).toBe(true);
      expect(relDiff(group.values[i], op.eigenvalues[i]), what).toBeLessThan(1e-5);
      // Some eigenvalue lies within the residual of θ (plus float32 rounding of the products).
      const nearest = Math.min(...Array.from(op.eigenvalues, (e) => Math.abs(e - group.values[i])));
      expect(nearest, what).toBeLessThanOrEqual(group.residuals[i] + 1e-5 * 10);
      const row = v.subarray(i * op.size, (i + 1) * op.size);
      const host = hostResidual(op, row);
      expect(Math.abs(host.residual * Math.abs(host.rayleigh) - group.residuals[i]), what).toBeLessThan(1e-4 + 0.05 * group.residuals[i]);
      expect(Math.hypot(...row)).toBeCloseTo(1, 4);
    }
    // The tied pair's vectors span the pair's eigenspace; the others align with their eigenvectors.
    expect(Math.hypot(alignment(op, v.subarray(0, op.size), 0), alignment(op, v.subarray(0, op.size), 1))).toBeGreaterThan(1 - 1e-4);
    expect(alignment(op, v.subarray(2 * op.size, 3 * op.size), 2)).toBeGreaterThan(1 - 1e-4);
    expect(r.hvps).toBe(8 * r.iterations);
    expect(group.history).toHaveLength(r.iterations);
    r.vectors!.destroy();
    block.destroy();
    op.destroy();
  });

  it('finds λmax under a dominant negative eigenvalue (shifting when the negative end dominates)', async () => {
    const op = await knownSpectrum(gpu(), [-20, -19, -18, -17, 5, 4, ...spread(58, -3, 3)], seed + 2);
    // k = 4, and k = 1: power iteration, whose one θ is the dominant −20 until it shifts (as topEigenvalue's
    // second run does); on A − σI it then contracts by only (4 − σ)/(5 − σ) ≈ 0.95 per pass, so its history
    // settles before the residual meets √(2·tol): λmax to 1e-4, and the residual still bounds the error.
    for (const k of [4, 1]) {
      const block = blockOf(op, k);
      const r = await blockEigen(block, { tol: 1e-6, maxIter: 1000, seed });
      const [group] = r.groups;
      const what = `k = ${k}: λmax ${group.values[0]} (shift ${group.shift}, ${r.iterations} passes, residual ${group.residuals[0]})`;
      if (k > 1) expect(group.converged[0], what).toBe(true);
      expect(relDiff(group.values[0], 5), what).toBeLessThan(k > 1 ? 1e-5 : 1e-4);
      expect(Math.abs(group.values[0] - 5), what).toBeLessThanOrEqual(group.residuals[0]);
      expect(group.shift, what).toBeLessThan(0);
      block.destroy();
    }
    op.destroy();
  });

  it('reports non-convergence honestly when the iteration budget is too small', async () => {
    const op = await knownSpectrum(gpu(), [10, 9.9, 9.8, 9.7, ...spread(60, 0, 9.6)], seed + 3);
    const block = blockOf(op, 2);
    const r = await blockEigen(block, { tol: 1e-8, maxIter: 3, seed });
    expect(r.iterations).toBe(3);
    expect(r.groups[0].converged[0]).toBe(false);
    expect(r.groups[0].residuals[0]).toBeGreaterThan(0);
    block.destroy();
    op.destroy();
  });

  for (const act of ['tanh', 'relu'] as const) {
    it(`${act}: top-3 of the block-pass Hessian match the float64 dense Hessian of 6-12-8-3`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, [6, 12, 8, 3], act, 30, seed + 4);
      const want = symmetricEigenvalues(refHessian(params, batch, ref), model.layout.size);
      const op = await hessianBlockOperator(model, data, 16, { chunkSize: 11 });
      const r = await blockEigen(op, { want: 3, tol: 1e-6, maxIter: 300, seed });
      const [group] = r.groups;
      for (let i = 0; i < 3; i++) {
        const what = `${act} θ${i}: ${group.values[i]} vs ${want[i]}, residual ${group.residuals[i]}, ${r.iterations} passes`;
        expect(Math.abs(group.values[i] - want[i]), what).toBeLessThan(1e-4 * Math.abs(want[0]) + group.residuals[i]);
        if (group.converged[i]) expect(relDiff(group.values[i], want[i]), what).toBeLessThan(1e-4);
      }
      expect(group.converged[0]).toBe(true);
      op.destroy();
      model.destroy();
      data.destroy();
    });
  }

  it("every layer's λmax in one block: groups restricted to each layer's parameters", async () => {
    const g = gpu();
    const layers = (layout: ParamLayout) => layout.layers.map((_, l) => layerBlock(layout, l));
    const { model, data, spectra, seed: used } = await gappedProblem(g, [6, 12, 8, 3], 'tanh', 30, seed + 5, layers);
    const per = 4;
    const full = await hessianBlockOperator(model, data, 3 * per);
    const ranges = [0, 1, 2].flatMap((l) => Array(per).fill(layerBlock(model.layout, l)));
    const r = await blockEigen(restrictRows(full, ranges), { groups: 3, tol: 1e-6, maxIter: 300, seed, vectors: true });
    const v = await r.vectors!.read();
    r.groups.forEach((group, l) => {
      const what = `layer ${l} (net seed ${used}): ${group.values[0]} vs ${spectra[l][0]}, ${r.iterations} passes`;
      expect(group.converged[0], what).toBe(true);
      expect(relDiff(group.values[0], spectra[l][0]), what).toBeLessThan(1e-4);
      // Each group's vectors stay inside its layer.
      const { offset, size } = layerBlock(model.layout, l);
      const row = v.subarray(l * per * model.layout.size, (l * per + 1) * model.layout.size);
      expect(row.every((x, i) => (i >= offset && i < offset + size) || x === 0)).toBe(true);
    });
    r.vectors!.destroy();
    full.destroy();
    model.destroy();
    data.destroy();
  });

  it('at k = 1 is power iteration: topEigenpair matches the reference from the same start, with the same products', async () => {
    const op = await knownSpectrum(gpu(), [10, 7, ...spread(98, -3, 5)], seed + 7);
    // A tolerance no λ history meets: both run their whole budget of 15 iterations.
    const ref = await powerIteration(op, { tol: 1e-12, maxIter: 15, seed });
    const one = await topEigenpair(op, { tol: 1e-12, maxIter: 15, seed });
    const what = `block ${one.eigenvalue} (${one.iterations} passes), power ${ref.eigenvalue} (${ref.iterations} iterations)`;
    expect(one.hvps, what).toBe(ref.hvps);
    expect(relDiff(one.eigenvalue, ref.eigenvalue), what).toBeLessThan(1e-5);
    expect(Math.abs(one.residual - ref.residual), what).toBeLessThan(1e-3 + 0.01 * ref.residual);
    expect(alignment(op, await one.vector.read(), 0), what).toBeCloseTo(alignment(op, await ref.vector.read(), 0), 4);
    for (const t of [one.vector, ref.vector]) t.destroy();
    op.destroy();
  });

  it('a warm start from a converged vector settles in a few passes, leaves the start untouched, and checks its size', async () => {
    const op = await knownSpectrum(gpu(), [10, 7, ...spread(98, -3, 5)], seed + 7);
    const cold = await topEigenpair(op, { tol: 1e-6, maxIter: 300, seed });
    const start = await cold.vector.read();
    const warm = await topEigenpair(op, { tol: 1e-6, maxIter: 300, start: cold.vector });
    expect(cold.converged).toBe(true);
    expect(warm.converged).toBe(true);
    expect(warm.iterations, `warm ${warm.iterations}, cold ${cold.iterations}`).toBeLessThan(cold.iterations / 2);
    expect(relDiff(warm.eigenvalue, 10)).toBeLessThan(1e-4);
    expect(Array.from(await cold.vector.read())).toEqual(Array.from(start));
    const short = Tensor.create(gpu(), [3]);
    await expect(topEigenpair(op, { start: short })).rejects.toThrow(/the start block has 3 entries but the operator's block holds 1 × 100/);
    for (const t of [short, cold.vector, warm.vector]) t.destroy();
    op.destroy();
  });

  it('rejects blocks that do not split into the groups asked for, or are too large', async () => {
    const op = await knownSpectrum(gpu(), spread(10, 1, 2), seed);
    const block = blockOf(op, 6);
    await expect(blockEigen(block, { groups: 4 })).rejects.toThrow(/a block of 6 cannot split into 4 equal groups/);
    await expect(blockEigen(block, { groups: 3, want: 3 })).rejects.toThrow(/3 eigenpairs wanted from groups of 2 vectors/);
    block.destroy();
    const big = blockOf(op, 33);
    await expect(blockEigen(big)).rejects.toThrow(/a block of 33 exceeds the 32/);
    big.destroy();
    // The inherently single-vector solvers take one row and say so.
    const two = blockOf(op, 2);
    await expect(lanczos(two, { steps: 4 })).rejects.toThrow(/lanczos: needs an operator of one row \(k = 1\), got k = 2/);
    expect(() => blockOf(two, 2)).toThrow(/blockOf: needs an operator of one row/);
    two.destroy();
    op.destroy();
  });
});
