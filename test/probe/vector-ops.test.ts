/** The basis products of shaders/probe.wgsl against float64 host loops, on the real adapter. */
import { describe, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { prepareCombine, prepareProject } from '../../src/probe/vector-ops';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
const SHAPES: [rows: number, n: number][] = [[1, 1], [3, 257], [17, 1000], [40, 3001]];

describe(`basis products (seed ${seed})`, () => {
  it('project: out[off + r] = ⟨V_r, x⟩', async () => {
    const g = gpu();
    for (const [rows, n] of SHAPES) {
      const v = randomNormal(rows * n, seed + rows);
      const x = randomNormal(n, seed + n);
      const V = Tensor.create(g, [rows, n], { data: v });
      const X = Tensor.create(g, [n], { data: x });
      const out = Tensor.create(g, [rows + 2], { fill: NaN });
      g.run([await prepareProject(g, { basis: V, n, rows }, X, out, 2)]);
      const want = Array.from({ length: rows }, (_, r) => x.reduce((s, xi, i) => s + v[r * n + i] * xi, 0));
      // A sum of n products of unit normals rounds to ~√n·ε relative to its √n spread.
      expectClose(await out.read(2, rows), want, { atol: 1e-6 * Math.sqrt(n), rtol: 1e-5 }, `project ${rows}×${n}`);
      for (const t of [V, X, out]) t.destroy();
    }
  });

  it('combine: y = α·Vᵀc + β·y, and β = 0 overwrites a NaN-poisoned y', async () => {
    const g = gpu();
    for (const [rows, n] of SHAPES) {
      const v = randomNormal(rows * n, seed + rows);
      const c = randomNormal(rows + 1, seed + 1);
      const y0 = randomNormal(n, seed + 2);
      const V = Tensor.create(g, [rows, n], { data: v });
      const C = Tensor.create(g, [rows + 1], { data: c });
      const vtc = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let r = 0; r < rows; r++) s += v[r * n + i] * c[1 + r];
        return s;
      });
      const tol = { atol: 1e-6 * Math.sqrt(rows), rtol: 1e-5 };
      const Y = Tensor.create(g, [n], { data: y0 });
      g.run([await prepareCombine(g, { basis: V, n, rows }, C, 1, Y, -0.5, 2)]);
      expectClose(await Y.read(), vtc.map((s, i) => -0.5 * s + 2 * y0[i]), tol, `combine ${rows}×${n}`);
      Y.write(new Float32Array(n).fill(NaN));
      g.run([await prepareCombine(g, { basis: V, n, rows }, C, 1, Y, 1, 0)]);
      expectClose(await Y.read(), vtc, tol, `combine β = 0, ${rows}×${n}`);
      for (const t of [V, C, Y]) t.destroy();
    }
  });
});
