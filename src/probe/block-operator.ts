/**
 * The one operator type every solver runs on: a symmetric operator applied to k vectors at once
 * (a single vector is k = 1). `input` and `output` are k × size row-major buffers; encode() records
 * output ← A·input for every row. For the Hessian and the Gauss–Newton matrix that is one block
 * pass over the data (hvpBlock); a one-row operator can be lifted to k rows (k applications, for
 * tests and small operators), and a layer-restricted view keeps each row inside one parameter range.
 */
import type { Gpu } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import type { Mlp, EvalOptions } from '../autograd/mlp';
import type { BlockPassPlan } from '../autograd/block-pass';
import type { GpuDataset } from '../data/gpu-dataset';
import type { ParamBlock } from './layer';
import { copyVector } from './vector-ops';

export interface BlockOperator {
  gpu: Gpu;
  size: number;
  k: number;
  input: Tensor;
  output: Tensor;
  /** Record output ← A·input, row by row. */
  encode(encoder: GPUCommandEncoder): void;
  destroy(): void;
}

/** The pass's options, and which samples of `data` it visits (default all, in order). */
export interface OperatorOptions extends EvalOptions {
  /** Sample indices to visit, e.g. a mini-batch gathered by index. */
  order?: Tensor;
  /** How many samples (of `order`, or of the dataset) to visit. */
  count?: number;
}

/** The Hessian of the model's loss over `data` on k directions per pass. */
export function hessianBlockOperator(
  model: Mlp, data: GpuDataset, k: number, options: OperatorOptions = {},
): Promise<BlockOperator & { plan: BlockPassPlan }> {
  return passOperator(model, data, k, options, false);
}

/**
 * The generalised Gauss–Newton matrix G = Jᵀ·H_out·J of the model's loss over `data` (J: the
 * logits' Jacobian in the parameters, H_out: the softmax cross-entropy's Hessian in the logits,
 * averaged over samples like the loss; + wd·I with the regulariser), on k directions per pass. G is
 * the Hessian without its terms in the loss gradient and φ″ — symmetric positive semi-definite
 * always, and equal to the Hessian for a model without hidden layers. The same block pass as
 * hessianBlockOperator with those terms left out (cheaper), so every block solver runs on it
 * unchanged: blockEigen for λmax and the top-k, deflatedTrace or blockHutchinsonTrace for the trace.
 */
export function ggnBlockOperator(
  model: Mlp, data: GpuDataset, k: number, options: OperatorOptions = {},
): Promise<BlockOperator & { plan: BlockPassPlan }> {
  return passOperator(model, data, k, options, true);
}

async function passOperator(
  model: Mlp, data: GpuDataset, k: number, options: OperatorOptions, gaussNewton: boolean,
): Promise<BlockOperator & { plan: BlockPassPlan }> {
  const P = model.layout.size;
  const name = gaussNewton ? 'ggn-block' : 'hessian-block';
  const input = Tensor.create(model.gpu, [k, P], { label: `${name}:input` });
  const output = Tensor.create(model.gpu, [k, P], { label: `${name}:output` });
  try {
    const plan = await model.prepareBlockPass({ data, directions: input, products: output, k, ...options, gaussNewton });
    return {
      gpu: model.gpu, size: P, k, input, output, plan,
      encode: (encoder) => plan.encode(encoder),
      destroy: () => {
        plan.destroy();
        input.destroy();
        output.destroy();
      },
    };
  } catch (err) {
    input.destroy();
    output.destroy();
    throw err;
  }
}

/** The solvers that are inherently single-vector (Lanczos) take a one-row operator. */
export function requireOneRow(op: BlockOperator, name: string): void {
  if (op.k !== 1) throw new Error(`${name}: needs an operator of one row (k = 1), got k = ${op.k}; build it with k = 1`);
}

/** k applications of a one-row operator, one row at a time (the caller keeps `op`). */
export function blockOf(op: BlockOperator, k: number): BlockOperator {
  requireOneRow(op, 'blockOf');
  const n = op.size;
  const input = Tensor.create(op.gpu, [k, n], { label: 'block-of:input' });
  const output = Tensor.create(op.gpu, [k, n], { label: 'block-of:output' });
  return {
    gpu: op.gpu, size: n, k, input, output,
    encode(encoder) {
      for (let j = 0; j < k; j++) {
        copyVector(encoder, input, op.input, n, j * n);
        op.encode(encoder);
        copyVector(encoder, op.output, output, n, 0, j * n);
      }
    },
    destroy() {
      input.destroy();
      output.destroy();
    },
  };
}

/**
 * Row j of `op` restricted to ranges[j]: before and after each product every row is zeroed outside
 * its range, so a solver iterating on it works on the diagonal blocks of A — several layers' Hessian
 * blocks side by side in one block pass. Owns nothing; `op` stays the caller's.
 */
export function restrictRows(op: BlockOperator, ranges: readonly ParamBlock[]): BlockOperator {
  if (ranges.length !== op.k) throw new Error(`restrictRows: ${ranges.length} ranges for a block of ${op.k} rows`);
  for (const r of ranges) {
    if (!(r.offset >= 0 && r.size >= 1 && r.offset + r.size <= op.size)) {
      throw new Error(`restrictRows: range [${r.offset}, ${r.offset + r.size}) is outside the operator's ${op.size} entries`);
    }
  }
  const mask = (encoder: GPUCommandEncoder, t: Tensor) => ranges.forEach(({ offset, size }, j) => {
    const row = j * op.size;
    if (offset > 0) encoder.clearBuffer(t.buffer, row * 4, offset * 4);
    const end = offset + size;
    if (end < op.size) encoder.clearBuffer(t.buffer, (row + end) * 4, (op.size - end) * 4);
  });
  return {
    ...op,
    encode(encoder) {
      mask(encoder, op.input);
      op.encode(encoder);
      mask(encoder, op.output);
    },
    destroy() {},
  };
}
