/**
 * λmin and the next smallest pairs by their own solver (restarted Lanczos aimed at the negative
 * end, probe/lowest.ts) with certified residuals, its tolerance relative to λmax — never from the
 * density's Ritz values. The same on both paths.
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { lowestEigenpairs } from '../probe/lowest';
import { withOperator } from './block-solvers';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput } from './measure';
import { countOf, f, state } from './table';
import { across, posInt, strict } from '../util/zod-fields';

const settings = {
  lambdaMin: strict({ pairs: posInt().default(2), steps: posInt().default(40), cycles: posInt().default(3) })
    .check(across((l, fail) => {
      if (l.steps < l.pairs) fail(['steps'], `(${l.steps}) must be at least probe.lambdaMin.pairs (${l.pairs})`);
    })).prefault({})
    .describe("λmin's solver (src/probe/lowest.ts): the smallest `pairs`, by ≤ `cycles` restarted Lanczos runs of `steps` steps."),
};

async function lambdaMin(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: s, seed } = ctx;
  const scale = ctx.sharpness.lambdaMax;
  if (scale === undefined) throw new Error('λmin: no λmax to scale its tolerance by (the λmax measure runs first)');
  await ctx.stage(`λmin (restarted Lanczos at the negative end, ≤ ${s.lambdaMin.cycles} × ${s.lambdaMin.steps} steps)`);
  return withOperator(hessianBlockOperator(model, data, 1, { chunkSize: s.chunkSize }), async (op) => {
    const low = await lowestEigenpairs(op, { want: s.lambdaMin.pairs, steps: s.lambdaMin.steps, cycles: s.lambdaMin.cycles, tol: s.tol, scale, seed });
    return {
      sharpness: { lambdaMin: low.values[0], lambdaMinResidual: low.residuals[0], lambdaMinConverged: low.converged[0], lambdaMinResolved: low.resolved[0] },
      solvers: { lambdaMin: `restarted Lanczos at the negative end (${low.cycles} of ≤ ${s.lambdaMin.cycles} cycles × ${s.lambdaMin.steps} steps, explicit residuals)` },
      hvps: low.hvps,
    };
  });
}

export const lambdaMinMeasure: Measure<typeof settings> = {
  name: 'lambda-min',
  settings: ['probe.lambdaMin', 'probe.tol', 'probe.chunkSize'],
  schema: settings,
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  work: (s) => [{ stage: 'λmin', pass: { kind: 'hvp' }, count: s.lambdaMin.cycles * (s.lambdaMin.steps + s.lambdaMin.pairs) }],
  run: lambdaMin,
  demo: [{ id: 'lambda-min', name: 'λmin (restarted Lanczos, negative end)', value: (r) => r.sharpness?.lambdaMin, digits: 4 }],
  // Beside λmax's scale: the negative curvature relative to the positive (Ghorbani et al. 2019).
  studyColumns: [
    { header: 'λmin', order: 20, digits: 3, value: (s) => s.lambdaMin },
    { header: '\\|λmin\\|/λmax', order: 21, digits: 4, value: (s) => Math.abs(s.lambdaMin) / s.lambdaMax },
  ],
  studyNote: {
    order: 20,
    text: (s, c) => (s.length === 0 ? '' : `λmin by its own solver, ${s[0].solvers.lambdaMin.replace(/ \(.*$/, '')} ` +
      `(≤ ${c.lambdaMin.cycles} cycles × ${c.lambdaMin.steps} steps; residual ≤ ${c.tol}·λmax in ${countOf(s, (x) => x.lambdaMinConverged)} runs; ` +
      'the smallest Ritz value, an upper bound on the smallest eigenvalue), reported with |λmin|/λmax (Ghorbani et al. 2019).'),
  },
  table: {
    order: 20,
    rows: (s) => [{
      measure: 'λmin',
      value: `${f(s.lambdaMin)} ± ${s.lambdaMinResidual.toExponential(2)} (${state(s.lambdaMinConverged)}` +
        `${s.lambdaMinResolved ? '' : ', not resolved from the next pair'}; |λmin|/λmax ${f(Math.abs(s.lambdaMin) / s.lambdaMax, 3)}; ${s.solvers.lambdaMin})`,
    }],
  },
};
