/**
 * The gradient noise scale as a registry measure: what the study, the CLI and the demo record — B_simple
 * of the probe set against float64 per-sample gradients, its interval around it, the run's batch size
 * beside it, its table row — and off when probe.noiseScale is false.
 */
import { describe, expect, it } from 'vitest';
import { paramLayout } from '../../src/autograd/layout';
import { refGradient } from '../../src/autograd/reference';
import { measureMinimum } from '../../src/measures/probe-run';
import { noiseScaleMeasure } from '../../src/measures/noise-scale';
import { sharpnessLines } from '../../src/measures/registry';
import type { ProbeSettings } from '../../src/measures/measure';
import { DEFAULT_CONFIG } from '../../src/study/config';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem } from '../support/nets';
import { freshSeed } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();
const settings: ProbeSettings = { ...DEFAULT_CONFIG.probe, chunkSize: 10 };
const training = { optimizer: { kind: 'sgd' as const, lr: 0.1 }, batchSize: 8, twoOverEta: 20 };

describe(`gradient noise scale measure (seed ${seed})`, () => {
  it('records B_simple of the probe set (float64 per-sample gradients), its interval, per layer and the batch size', async () => {
    const g = gpu();
    const widths = [9, 7, 4];
    const count = 33;
    const { model, data, batch, ref, params } = await makeProblem(g, widths, 'relu', count, seed);
    const layout = paramLayout(widths);
    const perSample = Array.from({ length: count }, (_, s) =>
      refGradient(params, { x: batch.x.subarray(s * 9, (s + 1) * 9), labels: [batch.labels[s]], count: 1 }, ref));
    const want = (from: number, to: number) => {
      let trace = 0;
      let g2 = 0;
      for (let i = from; i < to; i++) {
        const m = perSample.reduce((a, gs) => a + gs[i], 0) / count;
        trace += perSample.reduce((a, gs) => a + (gs[i] - m) ** 2, 0) / (count - 1);
        g2 += m * m;
      }
      return trace / g2;
    };
    const r = await measureMinimum(model, data, settings, { seed, training, measures: [noiseScaleMeasure] });
    const n = r.sharpness!.noiseScale!;
    expect(n.samples).toBe(count);
    expect(n.batchSize).toBe(8);
    expectClose([n.bSimple], [want(0, layout.size)], { atol: 0, rtol: 1e-3 }, 'B_simple');
    n.perLayer.forEach((l, i) => {
      const { weightOffset, biasOffset, outDim } = layout.layers[i];
      expectClose([l.bSimple], [want(weightOffset, biasOffset + outDim)], { atol: 0, rtol: 1e-3 }, `layer ${i}`);
    });
    expect(n.interval.low).toBeLessThanOrEqual(n.bSimple);
    expect(n.interval.high).toBeGreaterThanOrEqual(n.bSimple);
    expect(sharpnessLines(r.sharpness!, [noiseScaleMeasure])[0]).toMatch(/^gradient noise scale B_simple .*against the batch size 8: \d/);
    const section = noiseScaleMeasure.studySection!.render([{ configuration: 'A', seed, converged: true, diverged: null, sharpness: r.sharpness }], settings).join('\n');
    expect(section).toContain(`| A | 1 | 8 | ${n.bSimple.toPrecision(3)} | ${(8 / n.bSimple).toPrecision(3)} | ${n.perLayer.map((l) => l.bSimple.toPrecision(3)).join(' | ')} |`);
    const off = await measureMinimum(model, data, { ...settings, noiseScale: false }, { seed, training, measures: [noiseScaleMeasure] });
    expect(off.sharpness?.noiseScale).toBeUndefined();
    model.destroy();
    data.destroy();
  });
});
