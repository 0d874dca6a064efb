/** Perturbation sharpness: the mean (with its 95 % bootstrap-t interval) and largest loss increase over random perturbations of norm rho·‖θ‖. */
import { perturbationSharpness } from '../probe/perturbation';
import { probeBounds } from '../util/bootstrap';
import { PROBE_FAILURE, type Measure } from './measure';
import { f, withBounds } from './table';
import { posInt, positive, strict } from '../util/zod-fields';

const settings = {
  perturbation: strict({ rho: positive().default(0.05), samples: posInt().default(10) }).prefault({})
    .describe('Perturbation sharpness: the mean loss increase over `samples` random perturbations of norm rho·‖θ‖.'),
};

export const perturbationMeasure: Measure<typeof settings> = {
  name: 'perturbation',
  settings: ['probe.perturbation', 'probe.chunkSize'],
  schema: settings,
  writes: ['sharpness'],
  failure: PROBE_FAILURE,
  work: (s) => [{ stage: 'slice and perturbation', pass: { kind: 'forward' }, count: s.perturbation.samples + 1 }],
  run: async ({ model, data, settings: p, seed, stage }) => {
    await stage('perturbation sharpness');
    const r = await perturbationSharpness(model, data, { ...p.perturbation, seed, chunkSize: p.chunkSize });
    return { sharpness: { perturbationMean: r.meanIncrease, perturbationInterval: probeBounds(r.increases), perturbationMax: r.maxIncrease } };
  },
  demo: [{ id: 'perturbation', name: 'Perturbation sharpness', value: (r) => r.sharpness?.perturbationMean, digits: 4 }],
  studyColumns: [{ header: 'perturbation sharpness', order: 60, digits: 4, value: (s) => s.perturbationMean }],
  studyNote: { order: 60, text: (_, c) => `Perturbation sharpness = mean loss increase under filter-normalised random perturbations of relative size ρ = ${c.perturbation.rho}.` },
  table: {
    order: 60,
    rows: (s) => [{ measure: 'perturbation sharpness, mean loss increase (95 % interval) / max', value: `${withBounds(s.perturbationMean, s.perturbationInterval)} / ${f(s.perturbationMax)}` }],
  },
};
