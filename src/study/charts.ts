/**
 * Vega-Lite specs for the study's charts, shared by the Node report (rendered to SVG) and the
 * browser demo (rendered live), so both show the same pictures from the same data.
 */
import type { RunResult } from './results';

type Spec = Record<string, unknown>;

const WIDTH = 420;
const HEIGHT = 260;
const runLabel = (r: RunResult) => `${r.configuration} s${r.seed}`;

export function sharpnessDuringTrainingSpec(runs: RunResult[]): Spec {
  const values = runs.flatMap((r) => r.duringTraining.map((p) => ({ run: runLabel(r), step: p.step, value: p.lambdaMax, series: 'λmax' })));
  const thresholds = runs.filter((r) => r.sharpness?.twoOverEta != null && r.seed === runs.find((q) => q.configuration === r.configuration)!.seed)
    .map((r) => ({ run: `2/η ${r.configuration}`, value: r.sharpness!.twoOverEta }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'λmax during training (dashed: 2/η for SGD)',
    width: WIDTH, height: HEIGHT,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: 'λmax', scale: { type: 'symlog' } },
          color: { field: 'run', type: 'nominal', title: 'run' },
        },
      },
      {
        data: { values: thresholds },
        mark: { type: 'rule', strokeDash: [6, 4] },
        encoding: { y: { field: 'value', type: 'quantitative' }, color: { field: 'run', type: 'nominal' } },
      },
    ],
  };
}

export function sharpnessVsAccuracySpec(runs: RunResult[]): Spec {
  const values = runs.filter((r) => r.sharpness).map((r) => ({
    configuration: r.configuration, seed: r.seed, lambdaMax: r.sharpness!.lambdaMax, testAccuracy: 100 * r.test.accuracy,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Sharpness vs test accuracy',
    width: WIDTH, height: HEIGHT,
    data: { values },
    mark: { type: 'point', filled: true, size: 80 },
    encoding: {
      x: { field: 'lambdaMax', type: 'quantitative', title: 'λmax', scale: { type: 'log' } },
      y: { field: 'testAccuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
      color: { field: 'configuration', type: 'nominal' },
      tooltip: [{ field: 'configuration' }, { field: 'seed' }, { field: 'lambdaMax' }, { field: 'testAccuracy' }],
    },
  };
}

export function sliceSpec(runs: RunResult[]): Spec {
  const values = runs.filter((r) => r.slice).flatMap((r) => r.slice!.alphas.map((a, i) => ({ run: runLabel(r), alpha: a, loss: r.slice!.loss[i] })));
  return logLines('Loss along the top Hessian eigenvector (θ + α·v₁, ‖v₁‖ = 1)', values, ['alpha', 'α'], ['loss', 'train loss']);
}

/** One density per configuration (its first seed): overlaid seeds make the picture unreadable. */
export function densitySpec(runs: RunResult[]): Spec {
  const firsts = runs.filter((r) => r.density && runs.find((q) => q.configuration === r.configuration && q.density) === r);
  // Densities span many decades; the floor keeps the log axis on the part that carries mass.
  const values = firsts.flatMap((r) =>
    r.density!.grid.map((x, i) => ({ run: runLabel(r), eigenvalue: x, density: Math.max(r.density!.density[i], 1e-6) })));
  return logLines('Hessian spectral density (stochastic Lanczos quadrature)', values, ['eigenvalue', 'eigenvalue'], ['density', 'density']);
}

/** One line per run, linear x, log y. */
function logLines(title: string, values: Record<string, unknown>[], x: [string, string], y: [string, string]): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH, height: HEIGHT,
    data: { values },
    mark: 'line',
    encoding: {
      x: { field: x[0], type: 'quantitative', title: x[1] },
      y: { field: y[0], type: 'quantitative', title: y[1], scale: { type: 'log' } },
      color: { field: 'run', type: 'nominal' },
    },
  };
}

export const STUDY_CHARTS = {
  'lambda-during-training': sharpnessDuringTrainingSpec,
  'lambda-vs-accuracy': sharpnessVsAccuracySpec,
  'slice-top-eigenvector': sliceSpec,
  'spectral-density': densitySpec,
} as const;
