/**
 * Per-chunk activation buffers for one network shape and one row count. Each layer gets its own
 * buffers because a dispatch may not read and write the same buffer: layer l reads layer l−1's.
 *
 *   act[l] = [z_l | h_l]  (rows × n_l each, z first)    tan[l] = [ż_l | ḣ_l]   (tangent passes only)
 *   del[l] = δ_l (rows × n_l)                            ddel[l] = δ̇_l          (tangent passes only)
 *   pre[l] = δ_{l+1}W_{l+1} (rows × n_l, below the top; tangent passes whose backward is split, block-backward.ts)
 */
import type { Gpu } from '../gpu/context';
import { Tensor } from '../gpu/tensor';

export class Workspace {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly stats: Tensor;
  readonly act: Tensor[];
  readonly del: Tensor[];
  readonly tan: Tensor[];
  readonly ddel: Tensor[];
  readonly pre: Tensor[];

  constructor(gpu: Gpu, widths: readonly number[], readonly rows: number, tangent: boolean, split = false) {
    const make = (n: number, label: string) => Tensor.create(gpu, [n], { label });
    this.x = make(rows * widths[0], 'batch:x');
    this.y = Tensor.create(gpu, [rows], { dtype: 'u32', label: 'batch:y' });
    this.stats = make(2 * rows, 'batch:stats');
    const outs = widths.slice(1);
    this.act = outs.map((n, l) => make(2 * rows * n, `act${l + 1}`));
    this.del = outs.map((n, l) => make(rows * n, `delta${l + 1}`));
    this.tan = tangent ? outs.map((n, l) => make(2 * rows * n, `tangent${l + 1}`)) : [];
    this.ddel = tangent ? outs.map((n, l) => make(rows * n, `delta_dot${l + 1}`)) : [];
    this.pre = tangent && split ? outs.slice(0, -1).map((n, l) => make(rows * n, `pre${l + 1}`)) : [];
  }

  destroy(): void {
    for (const t of [this.x, this.y, this.stats, ...this.act, ...this.del, ...this.tan, ...this.ddel, ...this.pre]) t.destroy();
  }
}
