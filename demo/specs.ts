/**
 * The page's Vega-Lite specs. Every chart has axis titles with units, the page's number format
 * (format.ts) on its axes, legends and tooltips, labels that do not overlap, and legends below the
 * plot so a narrow screen keeps them whole. The study's own specs (src/study) are reused where the
 * page shows the same picture and pass through `polish` for the same conventions.
 */
import type { Slice1d, Slice2d } from 'hessian-gpu';
import { NUMBER_FORMAT } from './format';

export type Spec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 380;
const HEIGHT = 220;

/** One row of a live chart: a run's value at a training step. */
export interface Point {
  run: string;
  step: number;
  value: number;
}

/** A 2/η line for an SGD run (adaptive optimisers have none). */
export interface Threshold {
  run: string;
  value: number;
}

const STEP_AXIS = { field: 'step', type: 'quantitative', title: 'training step (minibatch updates)', axis: { format: 'd' } };
const RUN_COLOR = { field: 'run', type: 'nominal', title: 'run' };

/** The page's conventions on any Vega-Lite spec; layers share their first layer's axis titles. */
export function polish(spec: Spec): Spec {
  const layers = spec.layer as Spec[] | undefined;
  const first = (layers?.[0]?.encoding ?? {}) as Record<string, Spec>;
  const shareTitles = (layer: Spec): Spec => {
    const encoding = { ...(layer.encoding as Record<string, Spec>) };
    for (const channel of ['x', 'y']) {
      if (encoding[channel] && encoding[channel].title === undefined && first[channel]?.title !== undefined) {
        encoding[channel] = { ...encoding[channel], title: first[channel].title };
      }
    }
    return { ...layer, encoding };
  };
  return {
    ...spec,
    ...(layers ? { layer: layers.map(shareTitles) } : {}),
    config: {
      numberFormat: NUMBER_FORMAT,
      axis: { labelOverlap: 'greedy', labelSeparation: 6, labelFlush: true, titleFontWeight: 'normal' },
      legend: { orient: 'bottom', direction: 'vertical', labelLimit: 340, titleLimit: 340 },
      title: { fontSize: 13, limit: WIDTH + 40 },
      ...(spec.config as Spec | undefined),
    },
  };
}

/** A live chart: one line per run over training steps, its data the insertable set `points`. */
export function curveSpec(title: string, yTitle: string): Spec {
  return polish({
    $schema: SCHEMA, title, width: WIDTH, height: HEIGHT,
    data: { name: 'points' },
    mark: { type: 'line', point: true },
    encoding: {
      x: STEP_AXIS,
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: RUN_COLOR,
      tooltip: [{ field: 'run' }, { field: 'step' }, { field: 'value', format: NUMBER_FORMAT }],
    },
  });
}

/** λmax during training, and 2/η as a dashed rule only for the SGD runs that have one. */
export function lambdaDuringSpec(thresholds: Threshold[]): Spec {
  const line = {
    data: { name: 'points' },
    mark: { type: 'line', point: true },
    encoding: {
      x: STEP_AXIS,
      y: { field: 'value', type: 'quantitative', title: 'λmax of the training-loss Hessian', scale: { zero: false } },
      color: RUN_COLOR,
      tooltip: [{ field: 'run' }, { field: 'step' }, { field: 'value', title: 'λmax', format: NUMBER_FORMAT }],
    },
  };
  const rules = {
    data: { values: thresholds },
    mark: { type: 'rule', strokeDash: [6, 4] },
    encoding: { y: { field: 'value', type: 'quantitative' }, color: RUN_COLOR },
  };
  return polish({
    $schema: SCHEMA, width: WIDTH, height: HEIGHT,
    title: thresholds.length ? 'λmax during training (dashed: 2/η of SGD runs)' : 'λmax during training',
    layer: thresholds.length ? [line, rules] : [line],
  });
}

export function slicesSpec(slices: { direction: string; slice: Slice1d }[]): Spec {
  return polish({
    $schema: SCHEMA, width: WIDTH, height: HEIGHT,
    title: '1-D loss slices L(θ + α·d)',
    data: { values: slices.flatMap(({ direction, slice }) => slice.alphas.map((alpha, i) => ({ direction, alpha, loss: slice.loss[i] }))) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'alpha', type: 'quantitative', title: 'α (step along d, in units of the filter-normalised direction)' },
      y: { field: 'loss', type: 'quantitative', title: 'training loss (cross-entropy, nats; log scale)', scale: { type: 'log' } },
      color: { field: 'direction', type: 'nominal', title: 'direction d' },
    },
  });
}

/**
 * Li et al. (2018)'s picture of the loss surface: L(θ + α·d₁ + β·d₂) as a heat map (log colour)
 * with iso-loss contour lines on top, log-spaced. A Vega spec (not Vega-Lite): Vega's isocontour
 * transform traces the lines on the same grid the heat map draws, in pixel units.
 */
export function planeSpec(plane: Slice2d, axes: [string, string], levels = 12): Spec {
  const n = plane.alphas.length;
  const m = plane.betas.length;
  const half = (g: number[]) => (g.length > 1 ? (g[1] - g[0]) / 2 : 0.5);
  const [ha, hb] = [half(plane.alphas), half(plane.betas)];
  const cells = plane.betas.flatMap((beta, j) => plane.alphas.map((alpha, i) => ({ alpha, beta, loss: plane.loss[j][i] })));
  // The raster's row 0 is the top of the plot: the largest β.
  const logLoss = plane.betas.map((_, j) => plane.loss[m - 1 - j].map((l) => Math.log10(l))).flat();
  const finite = logLoss.filter(Number.isFinite);
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  const thresholds = Array.from({ length: levels }, (_, k) => lo + ((k + 0.5) * (hi - lo)) / levels);
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    title: { text: 'Loss surface L(θ + α·d₁ + β·d₂): heat map and contours', fontSize: 13 },
    // Square cells, so one scale maps the raster's cells onto the plot.
    width: 300, height: Math.round((300 * m) / n), padding: 5, autosize: 'pad',
    data: [
      { name: 'cells', values: cells },
      { name: 'raster', values: [{ width: n, height: m, values: logLoss }] },
      {
        name: 'contours', source: 'raster',
        transform: [
          { type: 'isocontour', thresholds, scale: { expr: `width / ${n}` } },
          { type: 'formula', as: 'loss', expr: 'pow(10, datum.contour.value)' },
        ],
      },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: [plane.alphas[0] - ha, plane.alphas[n - 1] + ha], range: 'width', nice: false, zero: false },
      { name: 'y', type: 'linear', domain: [plane.betas[0] - hb, plane.betas[m - 1] + hb], range: 'height', nice: false, zero: false },
      { name: 'color', type: 'log', domain: { data: 'cells', field: 'loss' }, range: { scheme: 'viridis' } },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: `α (along ${axes[0]})`, titleFontWeight: 'normal', format: NUMBER_FORMAT, labelOverlap: 'greedy', labelSeparation: 6, tickCount: 5 },
      { orient: 'left', scale: 'y', title: `β (along ${axes[1]})`, titleFontWeight: 'normal', format: NUMBER_FORMAT, labelOverlap: 'greedy', labelSeparation: 6, tickCount: 5 },
    ],
    legends: [{ fill: 'color', type: 'gradient', title: 'training loss (nats, log colour)', format: NUMBER_FORMAT, orient: 'bottom', direction: 'horizontal', gradientLength: 260 }],
    marks: [
      {
        type: 'rect', from: { data: 'cells' },
        encode: {
          enter: {
            x: { scale: 'x', signal: `datum.alpha - ${ha}` }, x2: { scale: 'x', signal: `datum.alpha + ${ha}` },
            y: { scale: 'y', signal: `datum.beta - ${hb}` }, y2: { scale: 'y', signal: `datum.beta + ${hb}` },
            // The stroke closes the hairline seams antialiasing leaves between cells.
            fill: { scale: 'color', field: 'loss' }, stroke: { scale: 'color', field: 'loss' }, strokeWidth: { value: 0.5 },
            tooltip: { signal: `{'α': format(datum.alpha, '${NUMBER_FORMAT}'), 'β': format(datum.beta, '${NUMBER_FORMAT}'), loss: format(datum.loss, '${NUMBER_FORMAT}')}` },
          },
        },
      },
      {
        type: 'shape', from: { data: 'contours' },
        encode: {
          enter: {
            stroke: { value: 'white' }, strokeWidth: { value: 1 }, strokeOpacity: { value: 0.8 },
            tooltip: { signal: `'contour: loss ' + format(datum.loss, '${NUMBER_FORMAT}')` },
          },
        },
        transform: [{ type: 'geoshape', field: 'datum.contour' }],
      },
    ],
  };
}

/** One density per run: eigenvalue against the SLQ density, log y (densities span decades). */
export function densitySpec(runs: { run: string; grid: number[]; density: number[] }[]): Spec {
  return polish({
    $schema: SCHEMA, width: WIDTH, height: HEIGHT,
    title: 'Hessian spectral density (stochastic Lanczos quadrature)',
    data: { values: runs.flatMap((r) => r.grid.map((x, i) => ({ run: r.run, eigenvalue: x, density: Math.max(r.density[i], 1e-6) }))) },
    mark: 'line',
    encoding: {
      x: { field: 'eigenvalue', type: 'quantitative', title: 'Hessian eigenvalue λ' },
      y: { field: 'density', type: 'quantitative', title: 'density (per unit λ; log scale, floor 1e-6)', scale: { type: 'log' } },
      color: RUN_COLOR,
    },
  });
}

/** Sharpness against test accuracy, one point per probed run with a test set. */
export function sharpnessVsAccuracySpec(points: { run: string; lambdaMax: number; testAccuracy: number }[]): Spec {
  return polish({
    $schema: SCHEMA, width: WIDTH, height: HEIGHT,
    title: 'Sharpness vs test accuracy',
    data: { values: points.map((p) => ({ ...p, testAccuracy: 100 * p.testAccuracy })) },
    mark: { type: 'point', filled: true, size: 80 },
    encoding: {
      x: { field: 'lambdaMax', type: 'quantitative', title: 'λmax (top Hessian eigenvalue; log scale)', scale: { type: 'log' } },
      y: { field: 'testAccuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
      color: RUN_COLOR,
      tooltip: [{ field: 'run' }, { field: 'lambdaMax', title: 'λmax', format: NUMBER_FORMAT }, { field: 'testAccuracy', title: 'test accuracy (%)', format: NUMBER_FORMAT }],
    },
  });
}
