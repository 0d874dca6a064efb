/**
 * The gradient noise scale B_simple = tr(Σ)/‖G‖² (McCandlish et al. 2018) of the probe set at the
 * minimum, overall and per layer, with its 95 % bootstrap interval over samples: one reverse pass
 * for the per-sample squared gradient norms and the mean gradient (no per-sample gradient stored),
 * one forward tangent pass for the interval (probe/noise-scale.ts). Shown beside the batch size the
 * run trained with: a batch far below B_simple trained in the noise-dominated regime.
 */
import * as z from 'zod';
import { gradientNoiseScale } from '../probe/noise-scale';
import type { ProbedRun } from './results';
import { blockSizeOf, type Measure } from './measure';
import { f, overSeeds } from './table';
import { must } from '../util/zod-fields';

const settings = {
  noiseScale: z.boolean(must('true or false')).default(true)
    .describe('The gradient noise scale B_simple = tr(Σ)/‖G‖² (McCandlish et al. 2018) from per-sample gradient norms, with its interval (src/measures/noise-scale.ts).'),
};

export const noiseScaleMeasure: Measure<typeof settings> = {
  name: 'noise-scale',
  settings: ['probe.noiseScale', 'probe.chunkSize'],
  schema: settings,
  writes: ['sharpness'],
  failure: 'gradient noise scale',
  enabled: ({ settings }) => settings.noiseScale !== false,
  // The per-sample norms ride on a gradient pass; the interval's tangent pass is priced as a block pass, an upper bound.
  work: (s) => [
    { stage: 'gradient noise scale', pass: { kind: 'gradient' }, count: 1 },
    { stage: 'gradient noise scale', pass: { kind: 'block', k: blockSizeOf(s) }, count: 1 },
  ],
  run: async ({ model, data, settings: p, seed, stage, training }) => {
    await stage('gradient noise scale (per-sample gradient norms, one reverse pass and one tangent pass)');
    const n = await gradientNoiseScale(model, data, { chunkSize: p.chunkSize, interval: { seed } });
    return {
      sharpness: {
        noiseScale: {
          bSimple: n.bSimple, interval: { low: n.interval!.low, high: n.interval!.high }, traceSigma: n.traceSigma, gradNormSq: n.gradNormSq,
          samples: n.samples, perLayer: n.perLayer.map((l) => ({ bSimple: l.bSimple, traceSigma: l.traceSigma, gradNormSq: l.gradNormSq })),
          batchSize: training.batchSize,
        },
      },
    };
  },
  demo: [{
    id: 'noise-scale', name: 'Gradient noise scale B_simple = tr(Σ)/‖G‖²', value: (r) => r.sharpness?.noiseScale?.bSimple, digits: 4,
    interval: (r) => r.sharpness?.noiseScale?.interval,
  }],
  studySection: { order: 40, render: studySection },
  table: {
    order: 75,
    rows: (s) => (s.noiseScale ? [{
      measure: `gradient noise scale B_simple = tr(Σ)/‖G‖² (95 % interval; per layer)${s.noiseScale.batchSize ? `, against the batch size ${s.noiseScale.batchSize}` : ''}`,
      value: `${f(s.noiseScale.bSimple)} [${f(s.noiseScale.interval.low)}, ${f(s.noiseScale.interval.high)}]; ${s.noiseScale.perLayer.map((l) => f(l.bSimple)).join(', ')}`,
    }] : []),
  },
};

/** Per configuration: B_simple over seeds beside the batch size it trained with, and per layer. */
function studySection(runs: readonly ProbedRun[]): string[] {
  const measured = runs.filter((r) => !r.diverged && r.sharpness?.noiseScale);
  if (measured.length === 0) return [];
  const names = [...new Set(measured.map((r) => r.configuration))];
  const layers = measured[0].sharpness!.noiseScale!.perLayer.length;
  return [
    '## Gradient noise scale',
    '',
    `B_simple = tr(Σ)/‖G‖² (McCandlish et al. 2018) on the ${measured[0].sharpness!.noiseScale!.samples} probe samples at each run's end, from per-sample ` +
      'gradient norms (no per-sample gradient stored): the batch size at which a minibatch gradient\'s noise equals its signal. A run that trained ' +
      'with a batch well below B_simple took steps dominated by noise there. Mean [95 % bootstrap interval] over seeds; unconverged runs marked.',
    '',
    `| Configuration | runs | batch size | B_simple | batch / B_simple | ${Array.from({ length: layers }, (_, l) => `layer ${l + 1}`).join(' | ')} |`,
    `| --- | ---: | ---: | ---: | ---: | ${Array.from({ length: layers }, () => '---:').join(' | ')} |`,
    ...names.map((name) => {
      const rs = measured.filter((r) => r.configuration === name);
      const n = rs.map((r) => r.sharpness!.noiseScale!);
      const batch = n[0].batchSize;
      const unconverged = rs.some((r) => r.converged === false) ? ' (unconverged)' : '';
      return `| ${name}${unconverged} | ${rs.length} | ${batch || '—'} | ${overSeeds(n.map((x) => x.bSimple))} | ` +
        `${batch ? overSeeds(n.map((x) => batch / x.bSimple)) : '—'} | ${Array.from({ length: layers }, (_, l) => overSeeds(n.map((x) => x.perLayer[l].bSimple))).join(' | ')} |`;
    }),
    '',
  ];
}
