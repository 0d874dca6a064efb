/**
 * The Hessian's trace with its 95 % bootstrap-t interval over probes, by deflated Hutchinson: the
 * top-k eigenpairs λmax's solver found exactly, Rademacher probes on the rest, blockSize per pass,
 * until the interval is narrow enough (traceTarget) or the budget is spent.
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { blockTrace, deflatedLabel, withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput, type ProbeSettings, blockSizeOf } from './measure';
import type { Sharpness } from './results';
import { countOf, spanOf, withBounds } from './table';
import { posInt, positive } from '../util/zod-fields';

/** The trace's budget: a minimum of probes, a target width of its interval, and a maximum. */
const settings = {
  traceSamples: posInt().default(16).describe('The trace (deflated Hutchinson): at least this many probes.'),
  traceTarget: positive().default(0.02).describe("Probes are added a block pass at a time until the 95 % interval's half-width is ≤ traceTarget·|trace| ..."),
  traceMaxSamples: posInt().default(64).describe('... or this many probes are spent.'),
};

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

export const traceMeasure: Measure<typeof settings> = {
  name: 'trace',
  settings: ['probe.traceSamples', 'probe.traceTarget', 'probe.traceMaxSamples', 'probe.topK', 'probe.blockSize', 'probe.chunkSize'],
  schema: settings,
  checkSettings: (p, fail) => {
    if (p.traceMaxSamples < p.traceSamples) fail(['traceMaxSamples'], `(${p.traceMaxSamples}) must be at least probe.traceSamples (${p.traceSamples})`);
  },
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  work: (s) => [{ stage: 'trace', pass: { kind: 'block', k: blockSizeOf(s) }, count: Math.ceil(s.traceMaxSamples / blockSizeOf(s)) }],
  run: trace,
  demo: [{ id: 'trace', name: 'Trace (deflated Hutchinson)', value: (r) => r.sharpness?.trace, digits: 4, interval: (r) => r.sharpness?.traceInterval }],
  studyColumns: [{ header: 'trace', order: 30, digits: 1, value: (s) => s.trace }],
  studyNote: { order: 30, text: studyNote },
  table: { order: 30, rows: (s) => [{ measure: 'trace (95 % interval)', value: `${withBounds(s.trace, s.traceInterval)} (${s.solvers.trace})` }] },
};

/** The estimator beneath the study's summary table: its budget, the probes spent and the per-run intervals' half-widths. */
function studyNote(s: readonly Sharpness[], c: ProbeSettings): string {
  if (s.length === 0) return '';
  const widths = s.map((x) => (x.traceInterval.high - x.traceInterval.low) / 2 / Math.abs(x.trace)).filter(Number.isFinite);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return `Trace by deflated Hutchinson: the top-${c.topK} eigenpairs' Rayleigh quotients exactly, plus Rademacher probes on (I − QQᵀ)H(I − QQᵀ) ` +
    `until the 95 % bootstrap-t interval is within ±${pct(c.traceTarget)} or ${c.traceMaxSamples} probes are spent: ${spanOf(s.map((x) => x.traceProbes))} probes per run, ` +
    `${countOf(s, (x) => x.traceStop === 'target')} stopped on the target, per-run interval half-widths ${widths.length ? `${pct(Math.min(...widths))}–${pct(Math.max(...widths))}` : 'n/a'} ` +
    '(the table\'s trace interval is over seeds).';
}
