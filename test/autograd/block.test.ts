/** hvpBlock (k directions per pass) vs k single GPU HVPs and vs the float64 R-op reference. */
import { describe, expect, it } from 'vitest';
import { refHvp, type Activation } from '../../src/autograd/reference';
import { Tensor } from '../../src/gpu/tensor';
import { expectClose, relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';
import { makeProblem, maxAbs } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

const scaled = (ref: ArrayLike<number>, rtol = 1e-4) => ({ atol: rtol * 0.1 * maxAbs(ref), rtol });

const CASES: { widths: number[]; act: Activation; count: number; k: number; chunkSize?: number }[] = [
  { widths: [33, 7, 9, 10], act: 'relu', count: 57, k: 1 },
  { widths: [33, 7, 9, 10], act: 'tanh', count: 57, k: 3, chunkSize: 13 },
  { widths: [7, 33, 5], act: 'gelu', count: 41, k: 16, chunkSize: 16 },
  { widths: [12, 33, 7, 3], act: 'relu', count: 30, k: 16 },
];

describe(`hvpBlock (seed ${seed})`, () => {
  for (const c of CASES) {
    it(`${c.act} ${c.widths.join('-')}, k = ${c.k}, ${c.count} samples${c.chunkSize ? `, chunks of ${c.chunkSize}` : ''}`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, c.widths, c.act, c.count, seed);
      const P = model.layout.size;
      const v = randomNormal(c.k * P, seed + 3);
      const V = Tensor.create(g, [c.k, P], { label: 'V', data: v });
      const HV = Tensor.create(g, [c.k, P], { label: 'HV', fill: NaN });
      const block = await model.hvpBlock(data, V, HV, { chunkSize: c.chunkSize });
      const got = await HV.read();
      const single = model.vector('single');
      const one = model.vector('one');
      for (let j = 0; j < c.k; j++) {
        const vj = v.subarray(j * P, (j + 1) * P);
        one.write(vj);
        single.write(new Float32Array(P).fill(NaN));
        const loss = await model.hvp(data, one, single, { chunkSize: c.chunkSize });
        if (j === 0) expect(relDiff(block.loss, loss.loss)).toBeLessThan(1e-6);
        const want = refHvp(params, batch, vj, ref);
        const row = got.subarray(j * P, (j + 1) * P);
        expectClose(row, want, scaled(want), `row ${j} vs float64 R-op`);
        const s = await single.read();
        expectClose(row, s, scaled(s, 1e-5), `row ${j} vs single GPU HVP`);
      }
      for (const t of [V, HV, single, one]) t.destroy();
      model.destroy();
      data.destroy();
    });
  }

  it('adds wd·v exactly with the regulariser, and takes k from an option', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [15, 20, 10], 'gelu', 101, seed + 1);
    const P = model.layout.size;
    const k = 2;
    const v = randomNormal(k * P, seed + 4);
    // A larger buffer than k rows: only the first k are used and written.
    const V = Tensor.create(g, [(k + 1) * P], { label: 'V', data: [...v, ...new Float32Array(P)] });
    const HV = Tensor.create(g, [(k + 1) * P], { label: 'HV', fill: NaN });
    const wd = 0.03;
    await model.hvpBlock(data, V, HV, { k, chunkSize: 13, weightDecay: wd, includeRegulariser: true });
    const got = await HV.read();
    for (let j = 0; j < k; j++) {
      const want = refHvp(params, batch, v.subarray(j * P, (j + 1) * P), { ...ref, weightDecay: wd, includeRegulariser: true });
      expectClose(got.subarray(j * P, (j + 1) * P), want, scaled(want), `row ${j}: H·v + wd·v`);
    }
    expect(Number.isNaN(got[k * P])).toBe(true);
    for (const t of [V, HV]) t.destroy();
    model.destroy();
    data.destroy();
  });

  it('rejects blocks that are not whole rows of parameters, and aliasing', async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [5, 4, 3], 'relu', 9, seed);
    const P = model.layout.size;
    const bad = Tensor.create(g, [P + 1]);
    const ok = Tensor.create(g, [2 * P]);
    await expect(model.hvpBlock(data, bad, ok)).rejects.toThrow(/needs k × \d+ elements/);
    await expect(model.hvpBlock(data, ok, ok)).rejects.toThrow(/different buffers/);
    await expect(model.hvpBlock(data, ok, bad)).rejects.toThrow(/products has \d+ elements; 2 directions/);
    for (const t of [bad, ok]) t.destroy();
    model.destroy();
    data.destroy();
  });
});
