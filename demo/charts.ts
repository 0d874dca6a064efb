/**
 * A chart on the page: a Vega(-Lite) view in its own box (which scrolls sideways on a narrow
 * screen), hidden while it has no data, with Vega's PNG/SVG export menu and a CSV of the rows it
 * draws. Live charts (loss, accuracy, λmax during training) are embedded at their first point and
 * then fed by view.insert, which updates the view in place: far cheaper than a new chart per point.
 */
import embed, { type Result, type VisualizationSpec } from 'vega-embed';
import type { Spec } from './specs';

/** The data set live charts stream into (specs.ts names it in its live specs). */
const POINTS = 'points';

/** A data row; an interface of named fields (specs.ts Point) is one too. */
type Row = object;

/** RFC 4180 CSV: a header of the rows' keys, fields quoted where they need it. */
export function toCsv(rows: Row[]): string {
  const records = rows as Record<string, unknown>[];
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const field = (v: unknown) => {
    const s = v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.map(field).join(','), ...records.map((r) => keys.map((k) => field(r[k])).join(','))].join('\n') + '\n';
}

export function download(name: string, text: string, type: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** Calls are applied in order; a chart that fails to draw logs why and leaves the page (and the run) alone. */
export class Chart {
  private result: Result | null = null;
  private queue: Promise<void> = Promise.resolve();
  private rows: Row[] = [];
  /** A live chart's spec, embedded at its first point. */
  private pending: Spec | null = null;
  private readonly view: HTMLDivElement;

  constructor(private readonly box: HTMLElement, private readonly name: string) {
    this.view = document.createElement('div');
    const csv = Object.assign(document.createElement('button'), { type: 'button', className: 'csv', textContent: 'CSV of this chart' });
    csv.addEventListener('click', () => download(`${this.name}.csv`, toCsv(this.rows), 'text/csv'));
    box.classList.add('chart');
    box.replaceChildren(this.view, csv);
    box.hidden = true;
  }

  /** Replaces the chart; `rows` are its data for the CSV. Without rows the chart is hidden. */
  show(spec: Spec, rows: Row[]): Promise<void> {
    return this.enqueue(async () => {
      this.pending = null;
      this.rows = rows;
      if (rows.length === 0) return this.reset();
      await this.embed(spec);
    });
  }

  /** A live chart: hidden until `insert` brings its first rows. */
  stream(spec: Spec, rows: Row[] = []): Promise<void> {
    return this.enqueue(async () => {
      this.reset();
      this.rows = [...rows];
      if (rows.length === 0) this.pending = spec;
      else await this.embed(withPoints(spec, rows));
    });
  }

  insert(rows: Row[]): Promise<void> {
    return this.enqueue(async () => {
      this.rows.push(...rows);
      if (this.pending) {
        const spec = this.pending;
        this.pending = null;
        await this.embed(withPoints(spec, this.rows));
      } else {
        await this.result?.view.insert(POINTS, rows).runAsync();
      }
    });
  }

  clear(): Promise<void> {
    return this.enqueue(async () => {
      this.pending = null;
      this.rows = [];
      this.reset();
    });
  }

  private reset(): void {
    this.result?.finalize();
    this.result = null;
    this.view.replaceChildren();
    this.box.hidden = true;
  }

  private async embed(spec: Spec): Promise<void> {
    this.result?.finalize();
    this.box.hidden = false;
    this.result = await embed(this.view, spec as VisualizationSpec, {
      renderer: 'svg',
      actions: { export: { svg: true, png: true }, source: false, compiled: false, editor: false },
      downloadFileName: this.name,
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch((err) => console.error(`chart ${this.name}:`, err));
    return this.queue;
  }
}

/** The spec with its (first layer's) named `points` data starting as `rows`. */
function withPoints(spec: Spec, rows: Row[]): Spec {
  const data = { name: POINTS, values: rows };
  const layers = spec.layer as Spec[] | undefined;
  return layers ? { ...spec, layer: [{ ...layers[0], data }, ...layers.slice(1)] } : { ...spec, data };
}
