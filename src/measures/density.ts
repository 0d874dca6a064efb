/**
 * The Hessian's spectral density by stochastic Lanczos quadrature: densityRuns random starts of
 * densitySteps Lanczos steps, advanced together one block pass per step (block path) or one after
 * the other (single path).
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { hessianOperator } from '../probe/operator';
import { spectralDensityBlock, spectralDensityGpu } from '../probe/lanczos';
import { withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput } from './measure';
import { spanOf } from './table';
import { posInt } from '../util/zod-fields';

const settings = {
  densitySteps: posInt().default(30).describe('Lanczos steps of each spectral-density run.'),
  densityRuns: posInt().default(8).describe('SLQ runs (random start vectors) averaged in the spectral density, advanced together in block passes.'),
};

async function density(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p } = ctx;
  const block = ctx.blockSize > 1;
  await ctx.stage(`spectral density (stochastic Lanczos quadrature, ${p.densityRuns} runs${block ? ' in block passes' : ''})`);
  const slq = block ? await blockDensity(ctx) : await singleDensity(ctx);
  return {
    density: { grid: slq.grid, density: slq.density },
    sharpness: { densityRuns: slq.runs.length },
    solvers: { density: `stochastic Lanczos quadrature (${p.densityRuns} runs × ${p.densitySteps} steps${block ? ', in block passes' : ''})` },
    hvps: slq.hvps,
  };

  async function blockDensity(c: MeasureContext) {
    return withOperator(hessianBlockOperator(model, data, p.densityRuns, { chunkSize: p.chunkSize }), async (op) => {
      return await spectralDensityBlock(op, { runs: p.densityRuns, steps: p.densitySteps, seed: c.seed });
    });
  }

  async function singleDensity(c: MeasureContext) {
    return withOperator(hessianOperator(model, data, { chunkSize: p.chunkSize }), async (op) => {
      return await spectralDensityGpu(op, { runs: p.densityRuns, steps: p.densitySteps, seed: c.seed });
    });
  }
}

export const densityMeasure: Measure<typeof settings> = {
  name: 'density',
  settings: ['probe.densityRuns', 'probe.densitySteps', 'probe.blockSize', 'probe.chunkSize'],
  schema: settings,
  writes: ['density', 'sharpness'],
  failure: PROBE_FAILURE,
  run: density,
  studyNote: { order: 50, text: (s, c) => (s.length === 0 ? '' : `Spectral density from ${spanOf(s.map((x) => x.densityRuns))} SLQ runs of ${c.densitySteps} Lanczos steps per run.`) },
  table: { order: 50, rows: (s) => [{ measure: 'spectral density', value: s.solvers.density }] },
};
