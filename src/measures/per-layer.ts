/**
 * λmax of each layer's diagonal Hessian block (its weights and bias): every layer's block in one
 * block subspace iteration whose rows are restricted to their layers (⌊blockSize/L⌋ rows per layer, at least 1).
 */
import { perLayerSharpnessBlock } from '../probe/layer';
import { PROBE_FAILURE, type Measure, type MeasureContext, type MeasureOutput, blockSizeOf } from './measure';
import { f, state } from './table';

async function perLayer(ctx: MeasureContext): Promise<MeasureOutput> {
  const { model, data, settings: p, seed } = ctx;
  const options = { tol: p.tol, maxIter: p.maxIter, seed, chunkSize: p.chunkSize };
  await ctx.stage("per-layer λmax (every layer's Hessian block in one block subspace iteration)");
  const layers = await perLayerSharpnessBlock(model, data, ctx.blockSize, options);
  // The layers share one block iteration: its passes count once.
  const hvps = layers[0].hvps;
  return { sharpness: { perLayer: layers.map((l) => ({ layer: l.layer, params: l.params, lambdaMax: l.lambdaMax, converged: l.converged })) }, hvps };
}

export const perLayerMeasure: Measure = {
  name: 'per-layer',
  settings: ['probe.tol', 'probe.maxIter', 'probe.blockSize', 'probe.chunkSize'],
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  work: (s) => [{ stage: 'per-layer λmax', pass: { kind: 'block', k: blockSizeOf(s) }, count: s.maxIter }],
  run: perLayer,
  demo: [{ id: 'lambda-per-layer', name: 'λmax per layer', value: (r) => r.sharpness?.perLayer?.map((l) => l.lambdaMax), digits: 4 }],
  table: {
    order: 80,
    rows: (s) => (s.perLayer ?? []).map((l) => ({ measure: `λmax of layer ${l.layer + 1}'s block (${l.params} parameters)`, value: `${f(l.lambdaMax)} (${state(l.converged)})` })),
  },
};
