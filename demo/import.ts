/**
 * The page's "probe a model from a file" panel: weights (.safetensors, or an .npz state_dict) and
 * optionally data (.npz with x and y) come by drag-and-drop onto the panel or from the file
 * pickers; the architecture read is shown at once, and the Probe button hands the model and its
 * data to main.ts, which probes it like a trained run. Files are read here (src/io); a bad file is
 * reported in the panel with the reader's message and nothing is probed.
 */
import type { Activation } from '../src/vocabulary';
import { readDataNpz, type ArrayData } from '../src/io/array-data';
import { readMlpWeights, type ImportedMlp } from '../src/io/mlp-weights';
import { isZip, readNpz } from '../src/io/npy';
import { byId } from './view';
import { message } from './problems';

export interface ImportChoice {
  weights: ImportedMlp;
  activation: Activation;
  /** null: the page's digits (the Data fields of the form). */
  data: { file: string; arrays: ArrayData } | null;
}

interface Loaded {
  weights: ImportedMlp | null;
  data: { file: string; bytes: Uint8Array } | null;
}

const loaded: Loaded = { weights: null, data: null };

/** An .npz whose arrays are named …weight / …bias is a state_dict; any other .npz is data. */
function isWeightsFile(name: string, bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return true;
  try {
    return readNpz(bytes, name).some((t) => /(weight|bias)$/.test(t.name));
  } catch {
    return true; // let the weights reader report what is wrong with it
  }
}

function show(): void {
  const box = byId('import-architecture');
  const w = loaded.weights;
  const rows: [string, string][] = [];
  if (w) {
    rows.push(['Model', `${w.widths.join('-')} MLP from ${w.file} (${w.format}${w.activation ? `, records ${w.activation}` : ''})`]);
    w.layers.forEach((l, i) => rows.push([`Layer ${i + 1}`, `${l.weight} [${l.outDim} × ${l.inDim}] + ${l.bias}, ${l.dtype}`]));
    for (const n of w.notes) rows.push(['Note', n]);
    box.dataset.value = JSON.stringify(w.widths);
  }
  rows.push(['Data', loaded.data ? loaded.data.file : 'the digits chosen in the form above']);
  box.replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
}

function report(text: string): void {
  byId('import-status').textContent = text;
}

async function take(files: Iterable<File>, onChange: () => void): Promise<void> {
  for (const f of files) {
    const bytes = new Uint8Array(await f.arrayBuffer());
    try {
      if (isWeightsFile(f.name, bytes)) {
        loaded.weights = readMlpWeights(bytes, f.name);
        if (loaded.weights.activation) byId<HTMLSelectElement>('import-activation').value = loaded.weights.activation;
      } else {
        readDataNpz(bytes, f.name); // checked now, so a bad file is reported on drop, not at probe time
        loaded.data = { file: f.name, bytes };
      }
      report(`read ${f.name}`);
    } catch (err) {
      report(`error: ${message(err)}`);
    }
  }
  show();
  onChange();
}

/** Wires the drop zone and the pickers; onChange runs after every file read (to refresh buttons). */
export function setupImport(onChange: () => void): void {
  const zone = byId('drop-zone');
  for (const id of ['weights-file', 'data-file']) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener('change', () => void take(input.files ?? [], onChange));
  }
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    void take(e.dataTransfer?.files ?? [], onChange);
  });
  show();
}

export const importReady = (): boolean => loaded.weights !== null;

/** The model and data to probe; the data is re-read with the model's output width as its class count. */
export function importChoice(): ImportChoice {
  const weights = loaded.weights!;
  const classes = weights.widths.at(-1)!;
  const data = loaded.data ? { file: loaded.data.file, arrays: readDataNpz(loaded.data.bytes, loaded.data.file, { classes }) } : null;
  return { weights, activation: byId<HTMLSelectElement>('import-activation').value as Activation, data };
}
