/**
 * The page's charts. Live ones (loss, accuracy, λmax during training) are embedded once per run
 * with the finished runs' points and then fed by view.insert, which updates the existing view in
 * place: far cheaper than compiling and embedding a new chart per point. Where the Node report has the
 * chart already (src/study/charts.ts) its spec is reused; a live chart takes such a spec and swaps
 * its inline data for a named data set that points can be inserted into.
 */
import embed, { type Result, type VisualizationSpec } from 'vega-embed';
import type { Slice1d, Slice2d } from '../src/probe/slices';

export type Spec = Record<string, unknown>;

/** The data set live charts stream into. */
const POINTS = 'points';

export interface Point {
  run: string;
  step: number;
  value: number;
}

/** A spec whose (first layer's) data is the named, insertable set `points`, starting with `rows`. */
export function streaming(spec: Spec, rows: Point[]): Spec {
  const data = { name: POINTS, values: rows };
  const layers = spec.layer as Spec[] | undefined;
  return layers ? { ...spec, layer: [{ ...layers[0], data }, ...layers.slice(1)] } : { ...spec, data };
}

/** One line per run over training steps. */
export function curveSpec(title: string, yTitle: string, rows: Point[], yScale: Spec = { zero: false }): Spec {
  return streaming({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, width: 420, height: 220,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: yScale },
      color: { field: 'run', type: 'nominal', title: 'run' },
    },
  }, rows);
}

export function slicesSpec(slices: { direction: string; slice: Slice1d }[]): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Loss along θ + α·d (both d scaled to the filter-normalised length)',
    width: 420, height: 240,
    data: { values: slices.flatMap(({ direction, slice }) => slice.alphas.map((alpha, i) => ({ direction, alpha, loss: slice.loss[i] }))) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'alpha', type: 'quantitative', title: 'α' },
      y: { field: 'loss', type: 'quantitative', title: 'train loss', scale: { type: 'log' } },
      color: { field: 'direction', type: 'nominal', title: 'direction d' },
    },
  };
}

export function planeSpec(plane: Slice2d, axes: [string, string]): Spec {
  const values = plane.betas.flatMap((beta, j) => plane.alphas.map((alpha, i) => ({ alpha, beta, loss: plane.loss[j][i] })));
  // β descending puts its positive end at the top, as on a map.
  const axis = (field: string, title: string, sort: string) => ({ field, type: 'ordinal', title, sort, axis: { format: '.2f' } });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Loss over the plane θ + α·d₁ + β·d₂',
    width: 300, height: 300,
    data: { values },
    mark: 'rect',
    encoding: {
      x: axis('alpha', `α (${axes[0]})`, 'ascending'),
      y: axis('beta', `β (${axes[1]})`, 'descending'),
      color: { field: 'loss', type: 'quantitative', title: 'loss', scale: { type: 'log', scheme: 'viridis' } },
      tooltip: [{ field: 'alpha', format: '.3f' }, { field: 'beta', format: '.3f' }, { field: 'loss', format: '.4g' }],
    },
  };
}

/**
 * A chart in an element: `show` replaces it, `insert` streams points; calls are applied in order.
 * A chart that fails to draw logs why and leaves the rest of the page (and the run) alone.
 */
export class Chart {
  private result: Result | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly element: HTMLElement) {}

  show(spec: Spec): Promise<void> {
    return this.enqueue(async () => {
      this.result?.finalize();
      this.result = await embed(this.element, spec as VisualizationSpec, { actions: false, renderer: 'svg' });
    });
  }

  insert(rows: Point[]): Promise<void> {
    return this.enqueue(async () => {
      await this.result?.view.insert(POINTS, rows).runAsync();
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch((err) => console.error('chart:', err));
    return this.queue;
  }
}
