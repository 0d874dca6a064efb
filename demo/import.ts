/**
 * The page's "probe a model from a file" panel: weights (.safetensors, or an .npz state_dict) and
 * optionally data (.npz with x and y) come by drag-and-drop onto the panel or from the file
 * pickers. Everything a probe needs is settled here, on load, before any GPU work: the
 * architecture read, the activation it will use and where that came from (the file's metadata, or
 * assumed until the user chooses), and whether model and data fit. A bad file is reported in the
 * panel as the kind of file it was meant to be, its picker is cleared, and nothing stale stays.
 */
import { ACTIVATIONS, isActivation, readDataNpz, readMlpWeights, isZip, readNpz, type Activation, type ArrayData, type ImportedMlp } from 'hessian-gpu';
import { fitProblem } from './session';
import { byId, element, setMessage } from './view';
import { message } from './problems';

/** What the activation in use rests on. */
export type ActivationSource = 'file' | 'assumed' | 'chosen';

export interface ImportChoice {
  weights: ImportedMlp;
  activation: Activation;
  activationSource: ActivationSource;
  /** null: the page's digits (the Data fields of the form). */
  data: { file: string; arrays: ArrayData } | null;
}

/** The digits the form would give, for the fit check when no data file is dropped. */
export interface DigitsShape {
  name: string;
  features: number;
  classes: number;
}

interface DataFile {
  file: string;
  bytes: Uint8Array;
  count: number;
  features: number;
  classes: number;
}

/** Used for a file without recorded activation until the user chooses: nn.Sequential's usual one. */
const ASSUMED: Activation = 'relu';

const state: { weights: ImportedMlp | null; data: DataFile | null; source: ActivationSource } = { weights: null, data: null, source: 'assumed' };
let digits: () => DigitsShape;
let changed: () => void;

const activationMenu = () => byId<HTMLSelectElement>('import-activation');

/** An .npz whose arrays are named …weight / …bias is a state_dict; any other .npz is data. */
function isWeightsFile(name: string, bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return true;
  try {
    return readNpz(bytes, name).some((t) => /(weight|bias)$/.test(t.name));
  } catch {
    return true; // let the weights reader report what is wrong with it
  }
}

function shapeOf(arrays: ArrayData): { count: number; features: number; classes: number } {
  return arrays.kind === 'bytes' ? arrays.dataset : arrays;
}

/** null when model and data fit (or no model yet), else why not. */
function misfit(): string | null {
  const w = state.weights;
  if (!w) return null;
  const d = state.data ? { name: state.data.file, features: state.data.features, classes: state.data.classes } : digits();
  return fitProblem(w, d);
}

function sourceText(): string {
  const w = state.weights;
  if (!w) return '';
  if (state.source === 'file') return `from ${w.file}'s metadata`;
  if (state.source === 'chosen') return 'chosen by you';
  return `assumed — ${w.file} does not record its activation: choose the one it was trained with`;
}

function show(): void {
  const w = state.weights;
  const rows: [string, string][] = [];
  if (w) {
    rows.push(['Model', `${w.widths.join('-')} MLP from ${w.file} (${w.format})`]);
    w.layers.forEach((l, i) => rows.push([`Layer ${i + 1}`, `${l.weight} [${l.outDim} × ${l.inDim}] + ${l.bias}, ${l.dtype}`]));
    for (const n of w.notes) rows.push(['Note', n]);
  }
  const d = state.data;
  rows.push(['Data', d ? `${d.file}: ${d.count} samples × ${d.features} features, ${d.classes} classes` : `${digits().name} (the Data fields of the form)`]);
  const fit = misfit();
  if (w) rows.push(['Fit', fit ?? `${w.widths[0]} inputs = ${d?.features ?? digits().features} features; ${w.widths.at(-1)} outputs for ${d?.classes ?? digits().classes} classes`]);
  const box = byId('import-architecture');
  box.dataset.value = w ? JSON.stringify(w.widths) : '';
  box.replaceChildren(...rows.map(([k, v]) => element('div', {}, element('dt', {}, k), element('dd', { className: k === 'Fit' && fit ? 'error' : '' }, v))));
  const source = byId('import-activation-source');
  source.textContent = sourceText();
  source.className = state.source === 'assumed' && w ? 'warning' : '';
  source.dataset.value = w ? state.source : '';
}

/** Reads one file in its role ('weights', 'data', or told by its content for a drop). */
function read(f: { name: string; bytes: Uint8Array }, role: 'weights' | 'data' | 'drop'): string {
  const asWeights = role === 'weights' || (role === 'drop' && isWeightsFile(f.name, f.bytes));
  if (asWeights) {
    state.weights = null;
    const w = readMlpWeights(f.bytes, f.name);
    if (w.activation !== undefined && !isActivation(w.activation)) {
      throw new Error(`${f.name} records activation "${w.activation}", which this engine does not have (it has ${ACTIVATIONS.join(', ')})`);
    }
    state.weights = w;
    state.source = w.activation ? 'file' : 'assumed';
    activationMenu().value = w.activation ?? ASSUMED;
    return `read weights ${f.name}`;
  }
  state.data = null;
  try {
    const arrays = readDataNpz(f.bytes, f.name);
    state.data = { file: f.name, bytes: f.bytes, ...shapeOf(arrays) };
  } catch (err) {
    throw new Error(`data file: ${message(err)}`);
  }
  return `read data ${f.name}`;
}

async function take(files: Iterable<File>, role: 'weights' | 'data' | 'drop', picker?: HTMLInputElement): Promise<void> {
  const notes: string[] = [];
  let failed = false;
  for (const file of files) {
    try {
      notes.push(read({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }, role));
    } catch (err) {
      failed = true;
      notes.push(`error: ${message(err)}`);
    }
  }
  // A picker keeps showing only a file that was read.
  if (failed && picker) picker.value = '';
  const fit = misfit();
  if (fit) notes.push(`error: ${fit}`);
  setMessage(byId('import-status'), notes.join('; '), failed || fit !== null);
  show();
  changed();
}

/** Wires the drop zone, the pickers and the activation menu; onChange runs after every change (to refresh buttons). */
export function setupImport(onChange: () => void, digitsShape: () => DigitsShape): void {
  changed = onChange;
  digits = digitsShape;
  const zone = byId('drop-zone');
  for (const [id, role] of [['weights-file', 'weights'], ['data-file', 'data']] as const) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener('change', () => void take(input.files ?? [], role, input));
  }
  activationMenu().addEventListener('change', () => {
    state.source = 'chosen';
    show();
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('over');
    void take(e.dataTransfer?.files ?? [], 'drop');
  });
  show();
}

/** The form's data changed: the fit check follows it. */
export function dataChanged(): void {
  show();
}

/** A model is loaded and fits its data. */
export const importReady = (): boolean => state.weights !== null && misfit() === null;

/** The model and data to probe; the data is re-read with the model's output width as its class count. */
export function importChoice(): ImportChoice {
  const weights = state.weights!;
  const classes = weights.widths.at(-1)!;
  const data = state.data ? { file: state.data.file, arrays: readDataNpz(state.data.bytes, state.data.file, { classes }) } : null;
  return { weights, activation: activationMenu().value as Activation, activationSource: state.source, data };
}
