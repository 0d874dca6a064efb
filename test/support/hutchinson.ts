/**
 * Single-vector Hutchinson, the reference blockHutchinsonTrace is tested against: one probe per
 * operator application on a one-row operator, the same seeded Rademacher stream, optionally
 * stopping once the standard error is within tol of the estimate.
 */
import { releaseDispatches } from '../../src/gpu/context';
import { Tensor } from '../../src/gpu/tensor';
import { prepareReduce } from '../../src/gpu/ops/reduce';
import { checkDims } from '../../src/gpu/ops/operand';
import { Rng } from '../../src/util/rng';
import { mean } from '../../src/util/stats';
import { requireOneRow, type BlockOperator } from '../../src/probe/block-operator';
import { finite, standardError, type HutchinsonOptions, type TraceEstimate } from '../../src/probe/hutchinson';
import { randomVector } from '../../src/probe/vector-ops';

/** Fewer samples give a standard error too noisy to stop on. */
const MIN_SAMPLES = 10;

export async function hutchinsonTrace(op: BlockOperator, options: HutchinsonOptions & { tol?: number } = {}): Promise<TraceEstimate> {
  const { samples = 30, seed = 0, tol } = options;
  checkDims('hutchinsonTrace', { samples });
  requireOneRow(op, 'hutchinsonTrace');
  if (tol !== undefined && !(tol > 0 && Number.isFinite(tol))) {
    throw new Error(`hutchinsonTrace: tol must be a finite number > 0, got ${tol}`);
  }
  const { gpu, size: n, input: z, output: az } = op;
  const quad = Tensor.create(gpu, [1], { label: 'hutchinson:zAz' });
  const slots = Tensor.create(gpu, [samples], { label: 'hutchinson:estimates' });
  const dot = await prepareReduce(gpu, { kind: 'dot', n, x: { buffer: z }, y: { buffer: az }, out: quad, slot: 0 });
  const rng = new Rng(seed);
  const seen: number[] = [];
  let used = 0;
  try {
    while (used < samples) {
      // writeBuffer is ordered after the previous submission on the queue, so z can be replaced at once.
      z.write(randomVector(rng, n, 'rademacher'));
      gpu.submit((encoder) => {
        op.encode(encoder);
        gpu.encode(encoder, dot);
        encoder.copyBufferToBuffer(quad.buffer, 0, slots.buffer, used * 4, 4);
      });
      used++;
      if (tol === undefined) continue;
      seen.push(finite((await slots.read(used - 1, 1))[0], used - 1, 'hutchinsonTrace'));
      if (used >= MIN_SAMPLES && standardError(seen) <= tol * Math.abs(mean(seen))) break;
    }
    const estimates = tol === undefined ? Array.from(await slots.read(0, used), (e, i) => finite(e, i, 'hutchinsonTrace')) : seen;
    return { trace: mean(estimates), standardError: standardError(estimates), samples: used, estimates, hvps: used };
  } finally {
    releaseDispatches(dot);
    quad.destroy();
    slots.destroy();
  }
}

