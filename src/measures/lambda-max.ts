/**
 * λmax and the top-k eigenpairs of the Hessian by block subspace iteration (blockSize directions
 * per pass; at blockSize 1 that is power iteration), its Ritz vectors kept as the eigenpairs the
 * later measures use (the trace deflates them, the slice and the noise measure follow them).
 */
import { hessianBlockOperator } from '../probe/block-operator';
import { blockEigenLabel, blockTop, withOperator } from './block-solvers';
import { PROBE_FAILURE, blockSizeOf, type Measure, type MeasureContext, type MeasureOutput } from './measure';
import { countOf, f, state } from './table';
import type { Sharpness } from './results';

/** Whether each pair's gap to its nearest neighbour (values sorted) exceeds its residual. */
export function resolvedPairs(values: readonly number[], residuals: readonly number[]): boolean[] {
  return values.map((v, i) => Math.min(i > 0 ? Math.abs(values[i - 1] - v) : Infinity, i + 1 < values.length ? Math.abs(v - values[i + 1]) : Infinity) > residuals[i]);
}

async function lambdaMax(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p, seed, blockSize: k } = ctx;
  return withOperator(hessianBlockOperator(model, data, k, { chunkSize: p.chunkSize }), async (op) => {
    const { eig, vectors } = await blockTop(op, p, seed, ctx.stage);
    const [top] = eig.groups;
    return {
      sharpness: {
        lambdaMax: top.values[0], lambdaConverged: top.converged[0], lambdaResidual: top.residuals[0] / Math.abs(top.values[0]),
        lambdaIterations: eig.iterations, lambdaHvps: eig.hvps,
        ...topK(top.values, top.residuals, top.converged), twoOverEta: ctx.training.twoOverEta,
      },
      solvers: { lambdaMax: blockEigenLabel(k, eig.iterations), topK: 'block subspace iteration (Ritz vectors of the λmax solve)' },
      eigenpairs: { values: top.values, vectors, resolved: resolvedPairs(top.values, top.residuals) }, hvps: eig.hvps,
    };
  });
}

function topK(values: number[], residuals: number[], converged: boolean[]): Partial<Sharpness> {
  return { topK: values, topKResiduals: residuals, topKConverged: converged, topKResolved: resolvedPairs(values, residuals) };
}

/** Near-degenerate pairs named, so directional quantities along them are read with care. */
const unresolved = (s: Sharpness) => {
  const idx = s.topKResolved.flatMap((ok, i) => (ok ? [] : [i + 1]));
  return idx.length ? `; pairs ${idx.join(', ')} not resolved from a neighbour (gap below residual)` : '';
};

export const lambdaMaxMeasure: Measure = {
  name: 'lambda-max',
  settings: ['probe.topK', 'probe.tol', 'probe.maxIter', 'probe.blockSize', 'probe.chunkSize'],
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  run: lambdaMax,
  work: (s) => [{ stage: `λmax and top-${s.topK}`, pass: { kind: 'block', k: blockSizeOf(s) }, count: s.maxIter }],
  demo: [
    { id: 'lambda-max', name: 'λmax', value: (r) => r.sharpness?.lambdaMax, digits: 5 },
    { id: 'lambda-iterations', name: 'λmax iterations (block passes)', value: (r) => r.sharpness?.lambdaIterations, digits: 'count' },
    { id: 'lambda-residual', name: '‖Hv − λv‖ / |λ|', value: (r) => r.sharpness?.lambdaResidual, digits: 2 },
    { id: 'top-k', name: 'Top-k (block subspace iteration)', value: (r) => r.sharpness?.topK, digits: 4 },
    // The edge-of-stability threshold, written beside λmax for SGD runs.
    { id: 'two-over-eta', name: '2/η (SGD)', value: (r) => r.sharpness?.twoOverEta, digits: 4 },
  ],
  summary: ({ sharpness: s }) => (s ? `λmax ${s.lambdaMax.toFixed(3)} (eigen-solver ${s.lambdaConverged ? 'converged' : 'NOT converged'})` : null),
  studyColumns: [
    { header: 'λmax', order: 10, digits: 2, value: (s) => s.lambdaMax },
    { header: 'top-k', order: 11, digits: 2, list: (s) => s.topK },
  ],
  studyNote: {
    order: 10,
    text: (s, c) => (s.length === 0 ? '' : `λmax and top-${c.topK} by ${s[0].solvers.topK.replace(/ \(.*$/, '')} (tolerance ${c.tol}; ` +
      `λmax converged in ${countOf(s, (x) => x.lambdaConverged)} runs, all top-${c.topK} pairs in ${countOf(s, (x) => x.topKConverged.every(Boolean))}).`),
  },
  table: {
    order: 10,
    rows: (s) => [
      { measure: 'λmax', value: `${f(s.lambdaMax, 6)} (${state(s.lambdaConverged)}, relative residual ${s.lambdaResidual.toExponential(2)}; ${s.solvers.lambdaMax})` },
      {
        measure: `top-${s.topK.length}`,
        value: `${s.topK.map((x) => f(x)).join(', ')} (${s.topKConverged.filter(Boolean).length} of ${s.topK.length} converged, largest residual ` +
          `${Math.max(...s.topKResiduals).toExponential(2)}${unresolved(s)}; ${s.solvers.topK})`,
      },
    ],
  },
};
