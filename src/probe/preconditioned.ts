/**
 * A diagonally preconditioned operator D·A·D (D = diag(d)), symmetric when A is: with d = P^{-1/2}
 * its eigenvalues are those of P⁻¹A (similar matrices), so the symmetric solvers (block subspace
 * iteration, Lanczos) measure the preconditioned sharpness λmax(P⁻¹H). One application is two
 * diagonal scalings around A's own, all recorded into the caller's encoder. One row: the scaling
 * kernel spans whole buffers, and its one caller (the preconditioned sharpness) runs at k = 1.
 */
import { releaseDispatches } from '../gpu/context';
import { prepareDiagScale } from '../gpu/ops/precondition';
import { Tensor } from '../gpu/tensor';
import { requireOneRow, type BlockOperator } from './block-operator';

/** D·inner·D; owns its input/output vectors, not `inner` or `d` (d may be refreshed between applications). */
export async function preconditionedOperator(inner: BlockOperator, d: Tensor): Promise<BlockOperator> {
  requireOneRow(inner, 'preconditionedOperator');
  const { gpu, size: n } = inner;
  if (d.size !== n) throw new Error(`preconditionedOperator: the diagonal has ${d.size} entries but the operator acts on ${n}`);
  const input = Tensor.create(gpu, [1, n], { label: 'precond:input', fill: 0 });
  const output = Tensor.create(gpu, [1, n], { label: 'precond:output', fill: 0 });
  const before = await prepareDiagScale(gpu, n, d, input, inner.input);
  const after = await prepareDiagScale(gpu, n, d, inner.output, output);
  return {
    gpu, size: n, k: 1, input, output,
    encode: (encoder) => {
      gpu.encode(encoder, [before]);
      inner.encode(encoder);
      gpu.encode(encoder, [after]);
    },
    destroy: () => {
      releaseDispatches([before, after]);
      input.destroy();
      output.destroy();
    },
  };
}
