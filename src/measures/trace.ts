/**
 * The Hessian's trace with its 95 % bootstrap-t interval over probes, by deflated Hutchinson: the
 * top-k eigenpairs λmax's solver found exactly, Rademacher probes on the rest, blockSize per pass,
 * until the interval is narrow enough (traceTarget) or the budget is spent.
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { blockTrace, deflatedLabel, withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput } from './measure';
import { withBounds } from './table';

async function trace(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p, seed } = ctx;
  const eigen = ctx.eigenpairs;
  if (!eigen) throw new Error('trace: no eigenpairs to deflate (the λmax measure runs first)');
  return withOperator(hessianBlockOperator(model, data, ctx.blockSize, { chunkSize: p.chunkSize }), async (op) => {
    const t = await blockTrace(op, eigen.vectors, p, seed, ctx.stage);
    return {
      sharpness: { trace: t.trace, traceInterval: { low: t.low, high: t.high }, traceProbes: t.samples, traceDeflated: t.rank, traceStop: t.stop },
      solvers: { trace: deflatedLabel(p, t) }, hvps: t.hvps,
    };
  });
}

export const traceMeasure: Measure = {
  name: 'trace',
  settings: ['probe.traceSamples', 'probe.traceTarget', 'probe.traceMaxSamples', 'probe.topK', 'probe.blockSize', 'probe.chunkSize'],
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  run: trace,
  table: { order: 30, rows: (s) => [{ measure: 'trace (95 % interval)', value: `${withBounds(s.trace, s.traceInterval)} (${s.solvers.trace})` }] },
};
