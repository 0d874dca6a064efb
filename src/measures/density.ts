/**
 * The Hessian's spectral density by stochastic Lanczos quadrature: densityRuns random starts of
 * densitySteps Lanczos steps, advanced together one block pass (of densityRuns rows) per step.
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { spectralDensityBlock } from '../probe/lanczos';
import { withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput } from './measure';
import { spanOf } from './table';
import { posInt } from '../util/zod-fields';

const settings = {
  densitySteps: posInt().default(30).describe('Lanczos steps of each spectral-density run.'),
  densityRuns: posInt().default(8).describe('SLQ runs (random start vectors) averaged in the spectral density, advanced together in block passes.'),
};

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

export const densityMeasure: Measure<typeof settings> = {
  name: 'density',
  settings: ['probe.densityRuns', 'probe.densitySteps', 'probe.chunkSize'],
  schema: settings,
  writes: ['density', 'sharpness'],
  failure: PROBE_FAILURE,
  work: (s) => [{ stage: 'spectral density', pass: { kind: 'block', k: s.densityRuns }, count: s.densitySteps }],
  run: density,
  studyNote: { order: 50, text: (s, c) => (s.length === 0 ? '' : `Spectral density from ${spanOf(s.map((x) => x.densityRuns))} SLQ runs of ${c.densitySteps} Lanczos steps per run.`) },
  table: { order: 50, rows: (s) => [{ measure: 'spectral density', value: s.solvers.density }] },
};
