/**
 * The block pass's gather and scatter (shaders/block.wgsl stack / unstack): every layout against an
 * index-by-index host reference on awkward sizes, into NaN-poisoned outputs at an offset. A copy is
 * exact, so the comparison is equality.
 */
import { describe, expect, it } from 'vitest';
import { prepareStack, prepareUnstack, type StackLayout } from '../../src/gpu/ops/block-tangent';
import { Tensor } from '../../src/gpu/tensor';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
// (k, rows, cols) and the block's offset inside each direction.
const SHAPES = [[1, 1, 1], [1, 7, 33], [3, 33, 7], [2, 10, 257]] as const;

/** Where element (j, o, c) of block j lands in each layout. */
function destination(layout: StackLayout, k: number, rows: number, cols: number, j: number, o: number, c: number): number {
  if (layout === 'vertical') return (j * rows + o) * cols + c;
  if (layout === 'side') return o * k * cols + j * cols + c;
  return c * k * rows + j * rows + o;
}

describe(`block stack / unstack (seed ${seed})`, () => {
  for (const layout of ['vertical', 'side', 'transposed'] as const) {
    it(`stack ${layout} at (k, rows, cols) ${SHAPES.map((s) => s.join('×')).join(', ')}`, async () => {
      const g = gpu();
      for (const [k, rows, cols] of SHAPES) {
        const offset = 5;
        const stride = offset + rows * cols + 3;
        const dirs = randomNormal(k * stride, seed + k + rows + cols);
        const D = Tensor.create(g, [k * stride], { data: dirs });
        const dstOffset = 2;
        const n = k * rows * cols;
        const out = Tensor.create(g, [dstOffset + n], { fill: NaN });
        g.run([await prepareStack(g, { directions: D, k, stride, offset, rows, cols }, out, layout, dstOffset)]);
        const want = new Float32Array(n);
        for (let j = 0; j < k; j++) {
          for (let o = 0; o < rows; o++) {
            for (let c = 0; c < cols; c++) want[destination(layout, k, rows, cols, j, o, c)] = dirs[j * stride + offset + o * cols + c];
          }
        }
        expect(Array.from(await out.read(dstOffset)), `${layout} ${k}×${rows}×${cols}`).toEqual(Array.from(want));
        D.destroy();
        out.destroy();
      }
    });
  }

  it('unstack scatters the vertical stack back, adding a side-by-side partner', async () => {
    const g = gpu();
    for (const [k, rows, cols] of SHAPES) {
      const offset = 4;
      const stride = offset + rows * cols + 1;
      const n = k * rows * cols;
      const src = randomNormal(n, seed + 11 + n);
      const side = randomNormal(n, seed + 12 + n);
      const S = Tensor.create(g, [n], { data: src });
      const T = Tensor.create(g, [n], { data: side });
      const D = Tensor.create(g, [k * stride], { fill: NaN });
      g.run([await prepareUnstack(g, { directions: D, k, stride, offset, rows, cols }, S, T)]);
      const got = await D.read();
      for (let j = 0; j < k; j++) {
        for (let o = 0; o < rows; o++) {
          for (let c = 0; c < cols; c++) {
            const want = Math.fround(src[(j * rows + o) * cols + c] + side[destination('side', k, rows, cols, j, o, c)]);
            expect(got[j * stride + offset + o * cols + c], `unstack ${k}×${rows}×${cols} (${j}, ${o}, ${c})`).toBe(want);
          }
        }
      }
      // Outside the block nothing is written: the NaN poison stays.
      expect(Number.isNaN(got[0]) && Number.isNaN(got[stride - 1])).toBe(true);
      for (const t of [S, T, D]) t.destroy();
    }
  });
});
