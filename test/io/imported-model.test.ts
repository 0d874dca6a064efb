/**
 * Imported models on the real adapter: the loss, λmax and top-3 eigenvalues of nets saved by
 * PyTorch equal the float64 values PyTorch computed from the same files (expected.json, dense
 * Hessian by torch.autograd.functional.hessian); and a model exported and re-imported has the
 * same parameters and the same λmax, to the bit, as the model it came from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mlp } from '../../src/autograd/mlp';
import type { Activation } from '../../src/autograd/reference';
import { exportMlpSafetensors, readMlpWeights } from '../../src/io/mlp-weights';
import { readDataNpyPair, readDataNpz, uploadArrayData, type ArrayData } from '../../src/io/array-data';
import { hessianOperator } from '../support/operator';
import { topEigenvalue } from '../support/power';
import { lanczosEigen } from '../support/lanczos';
import type { Gpu } from '../../src/gpu/context';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';

const gpu = useGpu();
const FIXTURES = join(import.meta.dirname, '../fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  cases: Record<string, { loss: number; accuracy: number; lambdaMax: number; top3: number[]; activation: Activation; params: number }>;
  exports: Record<string, { torchLoss: number; names: string[]; shapes: number[][] }>;
};

const floatData = () => readDataNpz(fixture('data-float.npz'), 'data-float.npz', { classes: 3 });
const pixelData = () => readDataNpyPair(fixture('pixels.npy'), 'pixels.npy', fixture('labels.npy'), 'labels.npy', { classes: 3 });

async function measure(g: Gpu, widths: number[], activation: Activation, params: Float32Array, arrays: ArrayData, k = 0) {
  const model = await Mlp.create(g, { widths, activation });
  const data = uploadArrayData(g, arrays);
  const op = await hessianOperator(model, data);
  try {
    model.setParams(params);
    const loss = await model.loss(data);
    const power = await topEigenvalue(op, { tol: 1e-7, maxIter: 3000, seed: 1 });
    const top = k > 0 ? (await lanczosEigen(op, { k, steps: model.layout.size, seed: 1 })).values : [];
    return { loss, lambdaMax: power.eigenvalue, converged: power.converged, top };
  } finally {
    op.destroy();
    data.destroy();
    model.destroy();
  }
}

describe('models saved by PyTorch, probed here', () => {
  const cases: [string, string, () => ArrayData][] = [
    ['seq-6-5-3 on data-float', 'seq-6-5-3.safetensors', floatData],
    ['seq-6-5-3 on pixels/255', 'seq-6-5-3.npz', pixelData],
    ['fc-6-8-7-3-f64 on data-float', 'fc-6-8-7-3-f64.safetensors', floatData],
    ['fc-6-8-7-3-f16 on data-float', 'fc-6-8-7-3-f16.safetensors', floatData],
    ['fc-6-8-7-3-bf16 on data-float', 'fc-6-8-7-3-bf16.safetensors', floatData],
  ];
  for (const [name, file, data] of cases) {
    it(`${name} (${file}): loss, λmax and top-3 match PyTorch's float64 dense Hessian`, async () => {
      const want = expected.cases[name];
      const imported = readMlpWeights(fixture(file), file);
      expect(imported.params.length).toBe(want.params);
      const got = await measure(gpu(), imported.widths, want.activation, imported.params, data(), 3);
      expect(got.loss.count).toBe(48);
      expectClose([got.loss.loss, got.loss.accuracy], [want.loss, want.accuracy], { atol: 1e-6, rtol: 1e-5 }, `${name} loss, accuracy`);
      expect(got.converged).toBe(true);
      expectClose([got.lambdaMax], [want.lambdaMax], { atol: 1e-6, rtol: 1e-4 }, `${name} λmax`);
      expectClose(got.top, want.top3, { atol: 1e-5, rtol: 1e-4 }, `${name} top-3`);
    });
  }
});

describe('export → import', () => {
  it('PyTorch loads our export into nn.Sequential (strict names, out × in shapes) and computes the loss we compute', async () => {
    const file = 'ours-6-4-3-tanh.safetensors';
    const torch = expected.exports[file];
    expect(torch.names).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(torch.shapes).toEqual([[4, 6], [4], [3, 4], [3]]);
    const imported = readMlpWeights(fixture(file), file);
    const got = await measure(gpu(), imported.widths, imported.activation as Activation, imported.params, floatData());
    expectClose([got.loss.loss], [torch.torchLoss], { atol: 1e-6, rtol: 1e-5 }, 'loss of our export: ours vs PyTorch');
  });

  it('a model exported as safetensors and imported again has the same parameters and λmax, bit for bit', async () => {
    const widths = [6, 7, 5, 3];
    const original = await Mlp.create(gpu(), { widths, activation: 'tanh', seed: 11 });
    const params = await original.getParams();
    original.destroy();
    const imported = readMlpWeights(exportMlpSafetensors(widths, params, 'tanh'), 'roundtrip.safetensors');
    expect(imported.widths).toEqual(widths);
    expect(Buffer.from(imported.params.buffer).equals(Buffer.from(params.buffer))).toBe(true);
    const direct = await measure(gpu(), widths, 'tanh', params, floatData());
    const viaFile = await measure(gpu(), widths, imported.activation as Activation, imported.params, floatData());
    expect(viaFile.loss.loss).toBe(direct.loss.loss);
    expect(viaFile.lambdaMax).toBe(direct.lambdaMax);
    expect(Number.isFinite(direct.lambdaMax)).toBe(true);
  });
});
