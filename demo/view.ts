/**
 * DOM rendering: the settings form (built from the field table in settings.ts), the adapter panel,
 * problem messages that say what to do, the latest run's numbers and the runs table. Every number
 * a test reads has a data-testid and its full-precision value in data-value, so the text can stay
 * rounded for people.
 */
import { MEASURES, type AdapterReport, type DemoMetric, type RunResult } from 'hessian-gpu';
import { REFERENCE } from 'hessian-gpu/study';
import { FIELDS, parseSettings, type Settings } from './settings';
import type { Probe } from './session';
import { num, pct, withInterval } from './format';

/** A finished (or stopped) run of this session, or one loaded from a results file. */
export interface SessionRun {
  id: number;
  /** '#n configuration', unique within the session: the series name in every chart. */
  label: string;
  /** How it came to the page: trained here, an imported model probed here, or read from a results JSON. */
  origin: 'trained' | 'imported' | 'loaded';
  /** The form's settings it ran with (absent for a run loaded from a CLI study's results.json). */
  settings?: Settings;
  widths: number[];
  activation: string;
  /** Where the activation came from, for imported models: the file's metadata, assumed, or chosen. */
  activationSource?: string;
  /** The data, as people name it: "mnist-10k", "data-float.npz". */
  data: string;
  samples: { train: number; test: number; probe: number };
  result: RunResult;
  note: string;
  probe?: Probe;
  /** The settings match the reference study's, so its published numbers apply. */
  reference: boolean;
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/** A status line: its text, styled as an error when it is one. */
export function setMessage(el: HTMLElement, text: string, error = text.startsWith('error')): void {
  el.textContent = text;
  el.classList.toggle('error', error && text !== '');
}

/** The form, with the page's own validation (the settings parser's messages) in place of the browser's hints. */
export function buildForm(form: HTMLFormElement, s: Settings): void {
  form.noValidate = true;
  for (const f of FIELDS) {
    const input: HTMLSelectElement | HTMLInputElement = f.options
      ? element('select', {}, ...f.options.map((o) => element('option', { value: o.value }, o.text)))
      : element('input', { type: 'text', inputMode: f.kind === 'positive' || f.kind === 'nonnegative' ? 'decimal' : 'numeric', autocomplete: 'off' });
    input.id = input.name = f.key;
    const group = form.querySelector(`fieldset[data-group="${f.group}"]`)!;
    group.append(element('label', { htmlFor: f.key }, f.label), input);
    if (f.hint) group.append(element('small', {}, f.hint));
  }
  writeForm(form, s);
}

export function writeForm(form: HTMLFormElement, s: Partial<Settings>): void {
  for (const [key, value] of Object.entries(s)) (form.elements.namedItem(key) as HTMLInputElement).value = String(value);
}

/** The form's settings, through the same parser and checks as the URL's. */
export function readForm(form: HTMLFormElement): Settings {
  const params = new URLSearchParams();
  new FormData(form).forEach((value, key) => params.append(key, String(value)));
  return parseSettings(params);
}

export function showAdapter(a: AdapterReport): void {
  const rows: [string, string, string][] = [
    ['adapter-description', 'Adapter', a.description || a.device || '(not reported)'],
    ['adapter-vendor', 'Vendor', a.vendor || '(not reported)'],
    ['adapter-architecture', 'Architecture', a.architecture || '(not reported)'],
    ['adapter-software', 'Software adapter', a.software ? 'yes (expect slow runs)' : 'no'],
    ['adapter-timestamp', 'timestamp-query', a.timestampQuery ? 'yes' : 'no'],
    ['adapter-storage', 'Max storage binding', `${(a.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`],
    ['adapter-invocations', 'Max invocations / workgroup', String(a.limits.maxComputeInvocationsPerWorkgroup)],
  ];
  byId('adapter').replaceChildren(...rows.flatMap(([testId, name, value]) => {
    const dd = element('dd', {}, value);
    dd.dataset.testid = testId;
    return [element('dt', {}, name), dd];
  }));
}

export interface Problem {
  title: string;
  detail: string;
  steps: string[];
}

export function showProblem(p: Problem): void {
  const box = byId('problem');
  box.hidden = false;
  box.replaceChildren(
    element('h2', {}, p.title),
    element('p', {}, p.detail),
    element('p', {}, element('strong', {}, 'What to do:')),
    element('ul', {}, ...p.steps.map((s) => element('li', {}, s))),
  );
}

interface Metric {
  id: string;
  name: string;
  value: (r: SessionRun) => number | readonly number[] | null | undefined;
  format: (v: number) => string;
  text?: (r: SessionRun) => string;
}

const digits = (d: number) => (v: number) => num(v, d);

/** The run's own numbers (training's), then each measure's as it declares them (src/measures, registry order). */
const METRICS: Metric[] = [
  { id: 'train-loss', name: 'Train loss', value: (r) => r.result.train.loss, format: digits(5) },
  { id: 'train-accuracy', name: 'Train accuracy', value: (r) => r.result.train.accuracy, format: (v) => pct(v) },
  { id: 'test-loss', name: 'Test loss', value: (r) => r.result.test.loss, format: digits(5) },
  { id: 'test-accuracy', name: 'Test accuracy', value: (r) => r.result.test.accuracy, format: (v) => pct(v) },
  ...MEASURES.flatMap((m) => (m.demo ?? []).map(measured)),
];

/** A measure's number in the page's format: its digits, and its interval where it has one. */
function measured(m: DemoMetric): Metric {
  const d = m.digits === 'count' ? undefined : m.digits;
  const { interval } = m;
  return {
    id: m.id, name: m.name, value: (r) => m.value(r.result), format: d === undefined ? String : digits(d),
    // An estimate with an interval is one number.
    text: interval && ((r) => withInterval(m.value(r.result) as number | null | undefined, interval(r.result), d)),
  };
}

/** The run's model and data in one line: what every number on the page was measured on. */
export function describeRun(r: SessionRun): string {
  const source = r.activationSource ? ` (${r.activationSource})` : '';
  return `${r.widths.join('-')} MLP, ${r.activation}${source}; ${r.data}: ${r.samples.train} train / ${r.samples.test} test / ${r.samples.probe} probe samples`;
}

export function showMetrics(run: SessionRun): void {
  const model = element('dd', {}, describeRun(run));
  model.dataset.testid = 'run-model';
  model.dataset.value = JSON.stringify({ widths: run.widths, activation: run.activation, data: run.data, samples: run.samples });
  byId('metrics').replaceChildren(
    element('div', { className: 'wide' }, element('dt', {}, `Run ${run.label}`), model),
    ...METRICS.map((m) => {
      const v = m.value(run);
      const dd = element('dd', {}, m.text ? m.text(run) : v == null ? '—' : typeof v === 'number' ? m.format(v) : v.map(m.format).join(', '));
      dd.dataset.testid = m.id;
      if (v != null) dd.dataset.value = JSON.stringify(v);
      return element('div', {}, element('dt', {}, m.name), dd);
    }));
}

const COLUMNS: { head: string; cell: (r: SessionRun) => string; cls?: string; ref?: boolean }[] = [
  { head: 'Run', cell: (r) => `${r.label}${r.note ? ` (${r.note})` : ''}`, cls: 'text' },
  { head: 'Optimizer', cell: (r) => r.result.optimizer, cls: 'text' },
  { head: 'MLP', cell: (r) => r.widths.join('-'), cls: 'text' },
  { head: 'Activation', cell: (r) => `${r.activation}${r.activationSource ? ` (${r.activationSource})` : ''}`, cls: 'text' },
  { head: 'Data', cell: (r) => r.data, cls: 'text' },
  { head: 'Samples train / test / probe', cell: (r) => `${r.samples.train} / ${r.samples.test} / ${r.samples.probe}` },
  { head: 'Seed', cell: (r) => String(r.result.seed) },
  { head: 'Steps', cell: (r) => String(r.result.steps) },
  { head: 'Train loss', cell: (r) => num(r.result.train.loss) },
  { head: 'Test acc.', cell: (r) => pct(r.result.test.accuracy) },
  { head: 'Gen. gap (pp)', cell: (r) => num(100 * r.result.genGap, 3) },
  { head: 'λmax', cell: (r) => num(r.result.sharpness?.lambdaMax) },
  { head: 'Top-k', cell: (r) => r.result.sharpness?.topK.map((x) => num(x, 3)).join(', ') ?? '—', cls: 'text' },
  { head: 'Trace', cell: (r) => withInterval(r.result.sharpness?.trace, r.result.sharpness?.traceInterval) },
  { head: '2/η', cell: (r) => num(r.result.sharpness?.twoOverEta ?? (r.origin === 'trained' && r.settings?.optimizer === 'sgd' ? 2 / r.settings.lr : null)) },
  { head: 'Ref. test acc.', cell: (r) => (r.reference ? pct(reference(r)!.testAccuracy / 100) : ''), cls: 'ref', ref: true },
  { head: 'Ref. λmax', cell: (r) => (r.reference ? num(reference(r)!.lambdaMax) : ''), cls: 'ref', ref: true },
  { head: 'Time', cell: (r) => (Number.isFinite(r.result.seconds) ? `${num(r.result.seconds, 3)} s` : '—') },
];

const reference = (r: SessionRun) => REFERENCE.find((x) => x.configuration === r.result.configuration);

/** The table; the reference columns only while some run was made with the reference settings. */
export function showRuns(runs: SessionRun[]): void {
  const withReference = runs.some((r) => r.reference && reference(r));
  const columns = COLUMNS.filter((c) => !c.ref || withReference);
  byId('runs-head').replaceChildren(element('tr', {}, ...columns.map((c) => element('th', { className: c.cls ?? '' }, c.head))));
  byId('runs-body').replaceChildren(...runs.map((r) => {
    const row = element('tr', {}, ...columns.map((c) => element('td', { className: c.cls ?? '' }, c.cell(r))));
    row.dataset.testid = 'run-row';
    return row;
  }));
  byId('reference-note').hidden = !withReference;
}
