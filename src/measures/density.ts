/**
 * The Hessian's spectral density by stochastic Lanczos quadrature: densityRuns random starts of
 * densitySteps Lanczos steps, advanced together one block pass (of densityRuns rows) per step.
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { spectralDensityBlock } from '../probe/lanczos';
import { withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput } from './measure';

async function density(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p, seed } = ctx;
  await ctx.stage(`spectral density (stochastic Lanczos quadrature, ${p.densityRuns} runs in block passes)`);
  const slq = await withOperator(hessianBlockOperator(model, data, p.densityRuns, { chunkSize: p.chunkSize }),
    (op) => spectralDensityBlock(op, { runs: p.densityRuns, steps: p.densitySteps, seed }));
  return {
    density: { grid: slq.grid, density: slq.density },
    sharpness: { densityRuns: slq.runs.length },
    solvers: { density: `stochastic Lanczos quadrature (${p.densityRuns} runs × ${p.densitySteps} steps, in block passes)` },
    hvps: slq.hvps,
  };
}

export const densityMeasure: Measure = {
  name: 'density',
  settings: ['probe.densityRuns', 'probe.densitySteps', 'probe.chunkSize'],
  writes: ['density', 'sharpness'],
  failure: PROBE_FAILURE,
  run: density,
  table: { order: 50, rows: (s) => [{ measure: 'spectral density', value: s.solvers.density }] },
};
