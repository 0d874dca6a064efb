/**
 * The generalised Gauss–Newton matrix's λmax and trace (sharpness.ggn): the Hessian's block solvers
 * with the same budgets on the Gauss–Newton block operator, on both paths (a block of
 * max(blockSize, topK) directions, since the block solvers need one) — the part of the curvature
 * the model's linearisation sees, without the gradient-weighted second-order terms.
 */
import { ggnBlockOperator } from '../probe/block-operator';
import { blockEigenLabel, deflatedLabel, topAndTrace, withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput } from './measure';
import { f, state, withBounds } from './table';

async function gaussNewton(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p, seed } = ctx;
  const k = Math.max(ctx.blockSize, p.topK);
  return withOperator(ggnBlockOperator(model, data, k, { chunkSize: p.chunkSize }), async (op) => {
    const { eig, trace } = await topAndTrace(op, p, seed, (text) => ctx.stage(`Gauss–Newton ${text}`));
    const [top] = eig.groups;
    return {
      sharpness: {
        ggn: {
          lambdaMax: top.values[0], lambdaConverged: top.converged[0], lambdaResidual: top.residuals[0] / Math.abs(top.values[0]),
          lambdaIterations: eig.iterations,
          trace: trace.trace, traceInterval: { low: trace.low, high: trace.high }, traceProbes: trace.samples, traceDeflated: trace.rank, traceStop: trace.stop,
          products: eig.hvps + trace.hvps,
          solvers: { lambdaMax: blockEigenLabel(k, eig.iterations), trace: deflatedLabel(p, trace) },
        },
      },
    };
  });
}

export const gaussNewtonMeasure: Measure = {
  name: 'gauss-newton',
  settings: ['probe.topK', 'probe.tol', 'probe.maxIter', 'probe.blockSize', 'probe.traceSamples', 'probe.traceTarget', 'probe.traceMaxSamples', 'probe.chunkSize'],
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  run: gaussNewton,
  stages: () => 2,
  table: {
    order: 40,
    // The Gauss–Newton matrix's λmax and trace beside the Hessian's, and the gap between the two λmax (absent in older results).
    rows: (s) => {
      const g = s.ggn;
      if (!g) return [];
      const gap = s.lambdaMax - g.lambdaMax;
      return [
        { measure: 'Gauss–Newton λmax', value: `${f(g.lambdaMax, 6)} (${state(g.lambdaConverged)}, relative residual ${g.lambdaResidual.toExponential(2)}; ${g.solvers.lambdaMax})` },
        { measure: 'λmax − Gauss–Newton λmax', value: `${f(gap)} (${f((100 * gap) / s.lambdaMax, 3)} % of λmax)` },
        { measure: 'Gauss–Newton trace (95 % interval)', value: `${withBounds(g.trace, g.traceInterval)} (${g.solvers.trace})` },
      ];
    },
  },
};
