/**
 * Perturbation sharpness on the real adapter. A rise of the loss is not guaranteed at an untrained
 * θ, so the checks are of consistency: every increase is the float64 L(θ + ρ·d_s) − L(θ) for the
 * same directions, the summary statistics follow from the increases, a seed fixes the result,
 * and ρ = 0 gives exactly nothing.
 */
import { describe, expect, it } from 'vitest';
import { refForward, refGradient } from '../../src/autograd/reference';
import { ascentDirection, perturbationDirections, perturbationSharpness } from '../../src/probe/perturbation';
import { useGpu } from '../support/gpu';
import { makeProblem, type Problem } from '../support/nets';
import { freshSeed } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
const WIDTHS = [7, 9, 6, 4];

/** float64 L(θ + ρ·d) − L(θ). */
function refIncrease(p: Problem, rho: number, d: ArrayLike<number>): number {
  const at = Float64Array.from(p.params, (x, i) => x + rho * d[i]);
  return refForward(at, p.batch, p.ref).loss - refForward(p.params, p.batch, p.ref).loss;
}

/** Each GPU loss is within ~1e-6 of float64 relative to L, so a difference of two is within a few of those. */
const expectIncrease = (got: number, want: number, baseLoss: number, what: string) =>
  expect(Math.abs(got - want), `${what}: gpu ${got} vs float64 ${want}`).toBeLessThan(2e-5 * baseLoss + 1e-3 * Math.abs(want));

describe(`perturbation sharpness (seed ${seed})`, () => {
  for (const filterWise of [true, false]) {
    it(`${filterWise ? 'filter-wise' : 'global'}: increases match the float64 reference; mean, std and max follow from them`, async () => {
      const p = await makeProblem(gpu(), WIDTHS, 'gelu', 40, seed);
      const { model, data, params } = p;
      const options = { rho: 0.05, samples: 6, seed: seed + 1, filterWise };
      const r = await perturbationSharpness(model, data, options);
      expect(r).toMatchObject({ rho: 0.05, samples: 6, seed: seed + 1, filterWise });
      expect(r.ascentIncrease).toBeUndefined();
      expect(r.baseLoss).toBe((await model.loss(data)).loss);
      const directions = [...perturbationDirections(params, model.layout, options)];
      expect(r.increases).toHaveLength(6);
      directions.forEach((d, s) => expectIncrease(r.increases[s], refIncrease(p, 0.05, d), r.baseLoss, `sample ${s}`));
      expect(new Set(r.increases).size, 'samples differ').toBe(6);

      const n = r.increases.length;
      const m = r.increases.reduce((a, b) => a + b, 0) / n;
      expect(r.meanIncrease).toBeCloseTo(m, 12);
      expect(r.stdIncrease).toBeCloseTo(Math.sqrt(r.increases.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1)), 12);
      expect(r.maxIncrease).toBe(r.increases.reduce((a, b) => Math.max(a, b)));
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      expect(await model.getParams()).toEqual(params);
      model.destroy();
      data.destroy();
    });
  }

  it('the ascent step is the float64 L(θ + ρ‖θ‖·g/‖g‖) − L(θ), and goes up', async () => {
    const p = await makeProblem(gpu(), WIDTHS, 'tanh', 30, seed + 2);
    const { model, data, params, batch, ref } = p;
    const rho = 0.02;
    const r = await perturbationSharpness(model, data, { rho, samples: 2, seed, worstCase: true });
    const want = refIncrease(p, rho, ascentDirection(refGradient(params, batch, ref), params));
    expectIncrease(r.ascentIncrease!, want, r.baseLoss, 'ascent');
    expect(r.ascentIncrease).toBeGreaterThan(0);
    expect(ascentDirection(new Float32Array(3), [1, 2, 3])).toEqual(new Float32Array(3));
    expect(await model.getParams()).toEqual(params);
    model.destroy();
    data.destroy();
  });

  it('is fixed by its seed, and ρ = 0 gives exactly zero increases', async () => {
    const { model, data } = await makeProblem(gpu(), WIDTHS, 'relu', 25, seed + 3);
    const options = { rho: 0.1, samples: 4, seed: seed + 4, chunkSize: 8 };
    const first = await perturbationSharpness(model, data, options);
    expect(await perturbationSharpness(model, data, options)).toEqual(first);
    const other = await perturbationSharpness(model, data, { ...options, seed: seed + 5 });
    expect(other.increases).not.toEqual(first.increases);

    const still = await perturbationSharpness(model, data, { ...options, rho: 0, worstCase: true });
    expect(still.increases).toEqual([0, 0, 0, 0]);
    expect(still).toMatchObject({ meanIncrease: 0, stdIncrease: 0, maxIncrease: 0, ascentIncrease: 0 });

    await expect(perturbationSharpness(model, data, { rho: -0.1 })).rejects.toThrow(/rho must be a finite number ≥ 0/);
    await expect(perturbationSharpness(model, data, { samples: 0 })).rejects.toThrow(/samples must be a positive integer/);
    model.destroy();
    data.destroy();
  });
});
