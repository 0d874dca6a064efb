/** The loss along θ + α·v₁ for the unit top eigenvector v₁ (probe.slice's grid of α), when probe.slice is given. */
import { slice1d } from '../probe/slices';
import { PROBE_FAILURE, type Measure } from './measure';
import { across, finite, posInt, strict } from '../util/zod-fields';

const settings = {
  slice: strict({ from: finite().default(-1), to: finite().default(1), steps: posInt().default(21) })
    .check(across((s, fail) => {
      if (!(s.from < s.to)) fail([], `needs from < to, got ${s.from}..${s.to}`);
    })).prefault({})
    .describe('The loss along the unit top eigenvector, at `steps` points from `from` to `to`.'),
};

export const sliceMeasure: Measure<typeof settings> = {
  name: 'slice',
  settings: ['probe.slice', 'probe.chunkSize'],
  schema: settings,
  writes: ['slice'],
  failure: PROBE_FAILURE,
  enabled: ({ settings }) => !!settings.slice,
  work: (s) => [{ stage: 'slice and perturbation', pass: { kind: 'forward' }, count: s.slice?.steps ?? 0 }],
  run: async ({ model, data, settings: p, eigenpairs, stage }) => {
    if (!eigenpairs) throw new Error('slice: no top eigenvector (the λmax measure runs first)');
    await stage('1D slice along the top eigenvector');
    const s = await slice1d(model, data, eigenpairs.vectors.slice(0, model.layout.size), { alphas: p.slice!, chunkSize: p.chunkSize });
    return { slice: { alphas: s.alphas, loss: s.loss } };
  },
};
