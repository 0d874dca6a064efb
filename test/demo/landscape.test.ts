/**
 * The demo's 2-D landscape (demo/session.ts landscapeOf) on a real device: every grid point must be
 * the loss at θ + α·d₁ + β·d₂, evaluated one point at a time by moving the model's own parameters,
 * for Li et al.'s two filter-normalised random directions and for an eigenvector plane; the model
 * must be left where it was.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Mlp } from '../../src/autograd/mlp';
import { filterNormalise, norm, normalise, randomDirection } from '../../src/probe/directions';
import { firstArraySamples, readDataNpz, uploadArrayData } from '../../src/io/array-data';
import { landscapeOf } from '../../demo/session';
import { DEFAULTS } from '../../demo/settings';
import { useGpu } from '../support/gpu';
import { expectClose } from '../support/compare';

const gpu = useGpu();
const TOL = { atol: 1e-6, rtol: 1e-5 };

describe('demo landscape', () => {
  it('is the loss over the random or the eigenvector plane, point for point, and leaves θ alone', async () => {
    const arrays = readDataNpz(readFileSync(new URL('../fixtures/data-float.npz', import.meta.url)), 'data-float.npz', { classes: 3 });
    const data = uploadArrayData(gpu(), firstArraySamples(arrays, 33));
    const model = await Mlp.create(gpu(), { widths: [6, 7, 3], activation: 'tanh', seed: 3 });
    try {
      const theta = await model.getParams();
      const P = model.layout.size;
      const [r1, r2] = [5, 6].map((seed) => filterNormalise(randomDirection(model.layout, seed), theta, model.layout));
      // Two orthonormal "eigenvectors": any unit pair will do for the plane's arithmetic.
      const e1 = normalise(randomDirection(model.layout, 11));
      const raw = randomDirection(model.layout, 12);
      const dot = raw.reduce((s, x, i) => s + x * e1[i], 0);
      const e2 = normalise(raw.map((x, i) => x - dot * e1[i]));
      const eigen = { values: [2, 1], vectors: Float32Array.from([...e1, ...e2]) };
      for (const [plane, d1, d2] of [['random', r1, r2], ['eigen', normalise(e1, norm(r1)), normalise(e2, norm(r1))]] as const) {
        const s = { ...DEFAULTS, seed: 5, plane, planeRange: 0.7, gridSteps: 7 };
        const { plane: grid, axes } = await landscapeOf(model, data, s, eigen);
        expect(Array.from(await model.getParams()), 'θ after the landscape').toEqual(Array.from(theta));
        expect(axes[0]).toMatch(plane === 'random' ? /random filter-normalised/ : /^v₁ \(λ₁ = 2\)/);
        expect(grid.alphas).toHaveLength(7);
        expect(grid.alphas[0]).toBeCloseTo(-0.7, 12);
        const got: number[] = [];
        const want: number[] = [];
        for (const [j, i] of [[0, 0], [3, 3], [6, 1], [2, 5]]) {
          const [a, b] = [Math.fround(grid.alphas[i]), Math.fround(grid.betas[j])];
          model.setParams(theta.map((t, k) => t + a * d1[k] + b * d2[k]));
          want.push((await model.loss(data)).loss);
          got.push(grid.loss[j][i]);
        }
        model.setParams(theta);
        expectClose(got, want, TOL, `${plane} plane`);
      }
      expect(P).toBe(6 * 7 + 7 + 7 * 3 + 3);
    } finally {
      model.destroy();
      data.destroy();
    }
  });
});
