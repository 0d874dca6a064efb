/**
 * DOM rendering: the settings form (built from the field table in settings.ts), the adapter panel,
 * problem messages that say what to do, the latest run's numbers and the runs table. Every number
 * a test reads has a data-testid and its full-precision value in data-value, so the text can stay
 * rounded for people.
 */
import type { AdapterReport } from '../src/gpu/context';
import { REFERENCE } from '../src/study/report';
import type { RunResult } from '../src/study/results';
import { FIELDS, parseSettings, type Settings } from './settings';
import type { Probe } from './session';

/** A finished (or stopped) run of this session. */
export interface SessionRun {
  id: number;
  /** '#n configuration', unique within the session: the series name in every chart. */
  label: string;
  settings: Settings;
  widths: number[];
  samples: { train: number; test: number; probe: number };
  result: RunResult;
  note: string;
  probe?: Probe;
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

export function buildForm(form: HTMLFormElement, s: Settings): void {
  for (const f of FIELDS) {
    const input: HTMLSelectElement | HTMLInputElement = f.options
      ? element('select', {}, ...f.options.map((o) => element('option', { value: o.value }, o.text)))
      : element('input', { type: 'number', step: 'any', min: '0', required: true });
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

const fixed = (x: number | null | undefined, digits: number, scale = 1) => (x == null || !Number.isFinite(x) ? '—' : (x * scale).toFixed(digits));

const percent = (v: number) => `${fixed(v, 2, 100)} %`;
const digits = (d: number) => (v: number) => fixed(v, d);

const METRICS: { id: string; name: string; value: (r: SessionRun) => number | number[] | null | undefined; format: (v: number) => string }[] = [
  { id: 'train-loss', name: 'Train loss', value: (r) => r.result.train.loss, format: digits(4) },
  { id: 'train-accuracy', name: 'Train accuracy', value: (r) => r.result.train.accuracy, format: percent },
  { id: 'test-loss', name: 'Test loss', value: (r) => r.result.test.loss, format: digits(4) },
  { id: 'test-accuracy', name: 'Test accuracy', value: (r) => r.result.test.accuracy, format: percent },
  { id: 'lambda-max', name: 'λmax', value: (r) => r.result.sharpness?.lambdaMax, format: digits(4) },
  { id: 'lambda-iterations', name: 'λmax iterations (block passes)', value: (r) => r.result.sharpness?.lambdaIterations, format: String },
  { id: 'lambda-residual', name: '‖Hv − λv‖ / |λ|', value: (r) => r.result.sharpness?.lambdaResidual, format: (v) => v.toExponential(2) },
  { id: 'lambda-per-layer', name: 'λmax per layer', value: (r) => r.result.sharpness?.perLayer.map((l) => l.lambdaMax), format: digits(3) },
  { id: 'top-k', name: 'Top-k (block subspace iteration)', value: (r) => r.result.sharpness?.topK, format: digits(3) },
  { id: 'lambda-min', name: 'λmin (restarted Lanczos, negative end)', value: (r) => r.result.sharpness?.lambdaMin, format: digits(4) },
  { id: 'trace', name: 'Trace (deflated Hutchinson)', value: (r) => r.result.sharpness?.trace, format: digits(2) },
  { id: 'perturbation', name: 'Perturbation sharpness', value: (r) => r.result.sharpness?.perturbationMean, format: digits(4) },
  { id: 'adaptive-average', name: 'Adaptive sharpness (average)', value: (r) => r.result.sharpness?.adaptiveAverage, format: (v) => v.toExponential(3) },
  { id: 'adaptive-worst', name: 'Adaptive sharpness (worst)', value: (r) => r.result.sharpness?.adaptiveWorst, format: (v) => v.toExponential(3) },
  { id: 'relative-flatness', name: 'Relative flatness (last layer)', value: (r) => r.result.sharpness?.relativeFlatness, format: digits(2) },
  { id: 'two-over-eta', name: '2/η (SGD)', value: (r) => r.result.sharpness?.twoOverEta, format: digits(1) },
];

export function showMetrics(run: SessionRun): void {
  byId('metrics').replaceChildren(...METRICS.flatMap((m) => {
    const v = m.value(run);
    const dd = element('dd', {}, v == null ? '—' : Array.isArray(v) ? v.map(m.format).join(', ') : m.format(v));
    dd.dataset.testid = m.id;
    if (v != null) dd.dataset.value = JSON.stringify(v);
    return [element('dt', {}, m.name), dd];
  }));
}

const COLUMNS: { head: string; cell: (r: SessionRun) => string; cls?: string }[] = [
  { head: 'Run', cell: (r) => `${r.label}${r.note ? ` (${r.note})` : ''}` },
  { head: 'Optimizer', cell: (r) => r.result.optimizer, cls: 'text' },
  { head: 'MLP', cell: (r) => r.widths.join('-'), cls: 'text' },
  { head: 'Seed', cell: (r) => String(r.result.seed) },
  { head: 'Train / test', cell: (r) => `${r.samples.train} / ${r.samples.test}` },
  { head: 'Steps', cell: (r) => String(r.result.steps) },
  { head: 'Train loss', cell: (r) => fixed(r.result.train.loss, 4) },
  { head: 'Test acc. (%)', cell: (r) => fixed(r.result.test.accuracy, 2, 100) },
  { head: 'Gen. gap (pp)', cell: (r) => fixed(r.result.genGap, 2, 100) },
  { head: 'λmax', cell: (r) => fixed(r.result.sharpness?.lambdaMax, 3) },
  { head: 'Top-k', cell: (r) => r.result.sharpness?.topK.map((x) => x.toFixed(2)).join(', ') ?? '—', cls: 'text' },
  { head: 'Trace', cell: (r) => fixed(r.result.sharpness?.trace, 1) },
  { head: '2/η', cell: (r) => fixed(r.settings.optimizer === 'sgd' && r.result.optimizer !== 'imported' ? 2 / r.settings.lr : null, 1) },
  { head: 'Ref. test acc. (%)', cell: (r) => fixed(reference(r)?.testAccuracy, 2), cls: 'ref' },
  { head: 'Ref. λmax', cell: (r) => fixed(reference(r)?.lambdaMax, 2), cls: 'ref' },
  { head: 'Time (s)', cell: (r) => fixed(r.result.seconds, 1) },
];

const reference = (r: SessionRun) => REFERENCE.find((x) => x.configuration === r.result.configuration);

export function showRuns(runs: SessionRun[]): void {
  byId('runs-head').replaceChildren(element('tr', {}, ...COLUMNS.map((c) => element('th', {}, c.head))));
  byId('runs-body').replaceChildren(...runs.map((r) => {
    const row = element('tr', {}, ...COLUMNS.map((c) => element('td', { className: c.cls ?? '' }, c.cell(r))));
    row.dataset.testid = 'run-row';
    return row;
  }));
}
