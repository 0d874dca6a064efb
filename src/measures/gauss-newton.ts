/**
 * The generalised Gauss–Newton matrix's λmax and trace (sharpness.ggn): the Hessian's block solvers
 * with the same budgets on the Gauss–Newton block operator (blockSize directions per pass) — the part of the curvature
 * the model's linearisation sees, without the gradient-weighted second-order terms.
 */
import { ggnBlockOperator } from '../probe/block-operator';
import { blockEigenLabel, deflatedLabel, topAndTrace, withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput, blockSizeOf } from './measure';
import { f, overSeeds, state, withBounds } from './table';
import type { ProbedRun } from './results';

async function gaussNewton(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p, seed } = ctx;
  const k = ctx.blockSize;
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
  // The Gauss–Newton block pass drops terms of the Hessian's: priced as one, an upper bound.
  work: (s) => [{ stage: 'Gauss–Newton λmax and trace', pass: { kind: 'block', k: blockSizeOf(s) }, count: s.maxIter + Math.ceil(s.traceMaxSamples / blockSizeOf(s)) }],
  run: gaussNewton,
  stages: () => 2,
  demo: [
    { id: 'ggn-lambda-max', name: 'Gauss–Newton λmax', value: (r) => r.sharpness?.ggn?.lambdaMax, digits: 5 },
    { id: 'ggn-trace', name: 'Gauss–Newton trace (deflated Hutchinson)', value: (r) => r.sharpness?.ggn?.trace, digits: 4, interval: (r) => r.sharpness?.ggn?.traceInterval },
  ],
  studySection: { order: 30, render: studySection },
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

/** Per configuration: the Gauss–Newton λmax and trace over seeds beside the Hessian's, and their ratio. */
function studySection(runs: readonly ProbedRun[]): string[] {
  const measured = runs.filter((r) => !r.diverged && r.sharpness?.ggn);
  if (measured.length === 0) return [];
  const names = [...new Set(measured.map((r) => r.configuration))];
  return [
    '## Gauss–Newton curvature',
    '',
    'The generalised Gauss–Newton matrix G = JᵀH_out J (positive semi-definite: the curvature of the model\'s linearisation) by the ' +
      'Hessian\'s block solvers and budgets. H − G holds the terms weighted by the loss gradient; where G\'s λmax and trace match the ' +
      "Hessian's, those terms carry little of the sharpness. Mean [95 % bootstrap interval] over seeds; unconverged runs marked.",
    '',
    '| Configuration | runs | λmax (Hessian) | λmax (Gauss–Newton) | GN / H λmax | trace (Hessian) | trace (Gauss–Newton) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...names.map((name) => {
      const rs = measured.filter((r) => r.configuration === name);
      const s = rs.map((r) => r.sharpness!);
      const unconverged = rs.some((r) => r.converged === false) ? ' (unconverged)' : '';
      return `| ${name}${unconverged} | ${rs.length} | ${overSeeds(s.map((x) => x.lambdaMax))} | ${overSeeds(s.map((x) => x.ggn!.lambdaMax))} | ` +
        `${overSeeds(s.map((x) => x.ggn!.lambdaMax / x.lambdaMax))} | ${overSeeds(s.map((x) => x.trace))} | ${overSeeds(s.map((x) => x.ggn!.trace))} |`;
    }),
    '',
  ];
}
