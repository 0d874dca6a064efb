/**
 * Landscape slices on the real adapter: each point L(θ + α·d₁ + β·d₂) must be the float64 loss at
 * the same displaced parameters, the model's parameters must come back bit for bit (also when an
 * evaluation throws), and the filter normalisation must give exactly the rows it promises.
 */
import { describe, expect, it } from 'vitest';
import { refForward } from '../../src/autograd/reference';
import { paramLayout } from '../../src/autograd/layout';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { Tensor } from '../../src/gpu/tensor';
import { filterNormalise, norm, normalise, randomDirection } from '../../src/probe/directions';
import { resolveGrid, slice1d, slice2d, withDisplacement } from '../../src/probe/slices';
import { relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem, type Problem } from '../support/nets';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
const WIDTHS = [7, 9, 6, 4];

/** θ + Σ c_k·d_k in float64, the point the GPU evaluates (up to float32 rounding of the sum). */
const displaced = (params: ArrayLike<number>, ...terms: [number, ArrayLike<number>][]) =>
  Float64Array.from(params, (p, i) => terms.reduce((acc, [c, d]) => acc + c * d[i], p));

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

function expectReference(p: Problem, at: Float64Array, loss: number, accuracy: number, what: string): void {
  const want = refForward(at, p.batch, p.ref);
  expect(relDiff(loss, want.loss), `${what}: gpu ${loss} vs float64 ${want.loss}`).toBeLessThan(1e-5);
  expect(accuracy, what).toBe(want.correct / p.batch.count);
}

describe(`landscape slices (seed ${seed})`, () => {
  it('filterNormalise gives every weight row the norm of θ\'s row and zeroes the biases', () => {
    const layout = paramLayout(WIDTHS);
    const params = randomNormal(layout.size, seed, 0.3);
    const direction = randomDirection(layout, seed + 1);
    const { weightOffset, inDim } = layout.layers[1];
    params.fill(0, weightOffset, weightOffset + inDim); // a dead neuron: its row of d must vanish
    direction.fill(0, weightOffset + inDim, weightOffset + 2 * inDim); // a zero row of d stays zero
    const d = filterNormalise(direction, params, layout);
    for (const [l, s] of layout.layers.entries()) {
      for (let row = 0; row < s.outDim; row++) {
        const start = s.weightOffset + row * s.inDim;
        const want = direction.subarray(start, start + s.inDim).some((x) => x !== 0) ? norm(params, start, s.inDim) : 0;
        const got = norm(d, start, s.inDim);
        expect(want === 0 ? got : relDiff(got, want), `layer ${l} row ${row}: ‖d‖ ${got} vs ‖θ‖ ${want}`).toBeLessThan(1e-6);
      }
      expect(Array.from(d.subarray(s.biasOffset, s.biasOffset + s.outDim)).every((x) => x === 0), `layer ${l} biases`).toBe(true);
    }
    // A rescaled row keeps its direction: d_row ∝ direction_row with a positive factor.
    const row0 = layout.layers[0];
    const ratio = d[row0.weightOffset] / direction[row0.weightOffset];
    expect(ratio).toBeGreaterThan(0);
    for (let i = 0; i < row0.inDim; i++) expect(relDiff(d[row0.weightOffset + i], ratio * direction[row0.weightOffset + i])).toBeLessThan(1e-6);

    expect(randomDirection(layout, 5)).toEqual(randomDirection(layout, 5));
    expect(randomDirection(layout, 5)).not.toEqual(randomDirection(layout, 6));
    expect(relDiff(norm(normalise(direction)), 1)).toBeLessThan(1e-6);
    expect(relDiff(norm(normalise(direction, 3)), 3)).toBeLessThan(1e-6);
    expect(() => normalise(new Float32Array(4))).toThrow(/non-zero norm/);
    expect(() => filterNormalise(direction.subarray(1), params, layout)).toThrow(/has \d+ elements; the network has/);
  });

  it('slice1d: α = 0 is model.loss, every point is the float64 loss at θ + α·d, θ comes back bit for bit', async () => {
    const p = await makeProblem(gpu(), WIDTHS, 'gelu', 40, seed);
    const { model, data, params } = p;
    const d = filterNormalise(randomDirection(model.layout, seed + 2), params, model.layout);
    const base = await model.loss(data, { chunkSize: 16 });
    const alphas = [-1, -0.3, 0, 0.45, 1];
    const s = await slice1d(model, data, d, { alphas, chunkSize: 16 });
    expect(s.alphas).toEqual(alphas);
    expect(s.loss[2]).toBe(base.loss);
    expect(s.accuracy[2]).toBe(base.accuracy);
    alphas.forEach((a, i) => expectReference(p, displaced(params, [a, d]), s.loss[i], s.accuracy[i], `α = ${a}`));
    expect(bits(await model.getParams())).toEqual(bits(params));
    expect(new Set(s.loss).size, 'the slice is not flat').toBe(alphas.length);

    // A GPU direction (an eigenvector, a gradient) is used in place and left as it was.
    const D = Tensor.create(gpu(), [model.layout.size], { data: d, label: 'd' });
    const onGpu = await slice1d(model, data, D, { alphas, chunkSize: 16 });
    expect(onGpu).toEqual(s);
    expect(bits((await D.read()) as Float32Array)).toEqual(bits(d));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    D.destroy();
    model.destroy();
    data.destroy();
  });

  it('slice2d agrees with slice1d along its axes and with the float64 loss off them', async () => {
    const p = await makeProblem(gpu(), WIDTHS, 'tanh', 33, seed + 1);
    const { model, data, params } = p;
    const d1 = filterNormalise(randomDirection(model.layout, seed + 3), params, model.layout);
    const d2 = filterNormalise(randomDirection(model.layout, seed + 4), params, model.layout);
    const alphas = { from: -0.5, to: 0.5, steps: 3 };
    const betas = [-0.8, 0, 0.6, 1.1];
    const grid = await slice2d(model, data, d1, d2, { alphas, betas });
    expect(grid.alphas).toEqual([-0.5, 0, 0.5]);
    expect(grid.betas).toEqual(betas);
    expect(grid.loss.map((row) => row.length)).toEqual([3, 3, 3, 3]);
    const along1 = await slice1d(model, data, d1, { alphas });
    const along2 = await slice1d(model, data, d2, { alphas: betas });
    expect(grid.loss[1]).toEqual(along1.loss);
    expect(grid.accuracy[1]).toEqual(along1.accuracy);
    expect(grid.loss.map((row) => row[1])).toEqual(along2.loss);
    const [j, i] = [3, 2];
    expectReference(p, displaced(params, [grid.alphas[i], d1], [grid.betas[j], d2]), grid.loss[j][i], grid.accuracy[j][i], 'off-axis point');
    expect(bits(await model.getParams())).toEqual(bits(params));
    model.destroy();
    data.destroy();
  });

  it('restores θ when an evaluation throws, and rejects bad directions and grids before touching θ', async () => {
    const { model, data, params } = await makeProblem(gpu(), WIDTHS, 'relu', 20, seed + 2);
    const d = randomDirection(model.layout, seed + 5);
    const boom = withDisplacement(model, data, [d], {}, async ({ lossAt }) => {
      await lossAt([0.5]);
      expect(bits(await model.getParams())).not.toEqual(bits(params));
      throw new Error('boom');
    });
    await expect(boom).rejects.toThrow('boom');
    expect(bits(await model.getParams())).toEqual(bits(params));

    // The loss pass itself fails (wrong input width) after θ was displaced.
    const other = GpuDataset.fromFloats(gpu(), randomNormal(3 * 5, seed), [0, 1, 2], 5, 4);
    await expect(slice1d(model, other, d, { alphas: [1] })).rejects.toThrow(/has 5 features but the network's input width is 7/);
    expect(bits(await model.getParams())).toEqual(bits(params));

    await expect(slice1d(model, data, d.subarray(1), { alphas: [1] })).rejects.toThrow(/direction 0 has \d+ elements/);
    await expect(slice1d(model, data, model.params, { alphas: [1] })).rejects.toThrow(/own parameter buffer/);
    await expect(slice1d(model, data, d, { alphas: [1, NaN] })).rejects.toThrow(/alphas\[1\] is NaN/);
    expect(resolveGrid('a', { from: -1, to: 1, steps: 5 })).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(resolveGrid('a', { from: 2, to: 3, steps: 1 })).toEqual([2]);
    expect(() => resolveGrid('a', { from: 0, to: 1, steps: 0 })).toThrow(/steps must be a positive integer/);
    expect(() => resolveGrid('a', [])).toThrow(/empty/);
    other.destroy();
    model.destroy();
    data.destroy();
  });

  it('batched grids (several passes of POINTS_PER_PASS points) equal point-by-point evaluation', async () => {
    const p = await makeProblem(gpu(), WIDTHS, 'gelu', 29, seed + 6);
    const { model, data, params } = p;
    const d1 = filterNormalise(randomDirection(model.layout, seed + 7), params, model.layout);
    const d2 = randomNormal(model.layout.size, seed + 8, 0.1);
    const alphas = { from: -1, to: 1, steps: 17 };
    const betas = [-0.5, 0.25, 1];
    const grid = await slice2d(model, data, d1, d2, { alphas, betas, chunkSize: 11 });
    const one = await withDisplacement(model, data, [d1, d2], { chunkSize: 11 }, async ({ lossAt }) => {
      const rows = [];
      for (const b of grid.betas) {
        const row = [];
        for (const a of grid.alphas) row.push(await lossAt([a, b]));
        rows.push(row);
      }
      return rows;
    });
    grid.loss.forEach((row, j) => row.forEach((l, i) => {
      const what = `α = ${grid.alphas[i]}, β = ${grid.betas[j]}: batched ${l} vs single ${one[j][i].loss}`;
      expect(relDiff(l, one[j][i].loss), what).toBeLessThan(1e-6);
      expect(grid.accuracy[j][i], what).toBe(one[j][i].accuracy);
    }));
    expectReference(p, displaced(params, [grid.alphas[16], d1], [grid.betas[2], d2]), grid.loss[2][16], grid.accuracy[2][16], 'last point');
    expect(bits(await model.getParams())).toEqual(bits(params));
    model.destroy();
    data.destroy();
  });
});
