/**
 * The demo page: acquire this browser's WebGPU device, then train, probe and compare runs on it.
 * Work runs as one job at a time — status 'running', then 'done', 'stopped' or 'error: …' — which
 * is what automation waits on (?autorun=1 starts a training job at load; probe=0 turns off the
 * probe after it). Training yields a frame at every log point and a probe between its stages, so
 * the charts repaint and Stop stays clickable while the GPU works. The address bar follows the
 * form, so a copied link reproduces a run's settings.
 */
import { Mlp, DEFAULT_CONFIG, fullBatchDescent, acquireDevice, type FullBatchResult, type Gpu } from 'hessian-gpu';
import { fullBatchSpec, noiseChartSpec } from 'hessian-gpu/study';
import { Chart, download } from './charts';
import { curveSpec, densitySpec, lambdaDuringSpec, planeSpec, polish, sharpnessVsAccuracySpec, slicesSpec, type Point } from './specs';
import { DATASETS, loadSplit } from './datasets';
import {
  destroyData, importedModel, landscapeOf, probeRun, Stopped, TRAIN_ACTIVATION, trainRun, uploadData, widths, type RunData,
} from './session';
import { dataChanged, importChoice, importReady, setupImport } from './import';
import { configurationName, DEFAULTS, hasReferenceSettings, parseSettings, presetFields, settingsParams, type Settings } from './settings';
import { buildForm, byId, readForm, setMessage, showAdapter, showMetrics, showProblem, showRuns, writeForm, type SessionRun } from './view';
import { message, unavailable } from './problems';
import { exportRuns, readResults } from './results-file';
import { duration, num } from './format';

const url = new URLSearchParams(location.search);
const form = byId<HTMLFormElement>('settings');
const autoProbe = byId<HTMLInputElement>('auto-probe');
const buttons = {
  train: byId<HTMLButtonElement>('train-button'),
  stop: byId<HTMLButtonElement>('stop-button'),
  probe: byId<HTMLButtonElement>('probe-button'),
  landscape: byId<HTMLButtonElement>('landscape-button'),
  export: byId<HTMLButtonElement>('export-button'),
  import: byId<HTMLButtonElement>('import-probe-button'),
  eos: byId<HTMLButtonElement>('eos-button'),
};
const chart = (name: string) => new Chart(byId(`chart-${name}`), name);
const charts = {
  loss: chart('loss'),
  accuracy: chart('accuracy'),
  lambda: chart('lambda'),
  slices: chart('slices'),
  landscape: chart('landscape'),
  density: chart('density'),
  sharpness: chart('sharpness'),
  eos: chart('eos'),
  noise: chart('noise'),
};

const runs: SessionRun[] = [];
/** Full-batch GD traces of this session, one line each in the edge-of-stability chart. */
const eosRuns: FullBatchResult[] = [];
/** The latest run's model and data, kept on the GPU so Probe can measure it. */
let current: { run: SessionRun; model: Mlp; data: RunData } | null = null;
let gpu: Gpu | null = null;
let lost = false;
let busy = false;
/** Aborted by Stop: the training or probe in progress. */
let stopper: AbortController | null = null;
/** Seconds per minibatch step per parameter per sample, from this page's last training run: the estimate's rate. */
let trainRate: number | null = null;

const setStatus = (text: string) => setMessage(byId('status'), text);

/** null shows an indeterminate bar. */
function progress(fraction: number | null, text: string): void {
  const bar = byId<HTMLProgressElement>('progress');
  if (fraction === null) bar.removeAttribute('value');
  else bar.value = fraction;
  byId('progress-text').textContent = text;
}

/** A frame for the browser to paint; hidden tabs get no frames, and need no paint. */
const nextFrame = () => (document.hidden ? Promise.resolve() : new Promise<void>((resolve) => requestAnimationFrame(() => resolve())));

function refreshButtons(): void {
  const ready = !!gpu && !lost && !busy;
  buttons.train.disabled = !ready;
  buttons.stop.disabled = !stopper;
  buttons.probe.disabled = !current || !ready;
  buttons.landscape.disabled = !current?.run.probe || !ready;
  buttons.export.disabled = runs.length === 0;
  buttons.import.disabled = !ready || !importReady();
  buttons.eos.disabled = !ready;
}

async function job(work: () => Promise<void>): Promise<void> {
  busy = true;
  refreshButtons();
  setStatus('running');
  try {
    await work();
    setStatus('done');
  } catch (err) {
    if (err instanceof Stopped) {
      progress(0, `stopped before ${err.stage}`);
      setStatus('stopped');
    } else {
      console.error(err);
      progress(0, '');
      setStatus(`error: ${message(err)}`);
    }
  } finally {
    busy = false;
    stopper = null;
    refreshButtons();
  }
}

function disposeCurrent(): void {
  if (!current) return;
  current.model.destroy();
  destroyData(current.data);
  current = null;
}

/** Every run's points per step, for the live charts' starting data. */
const points = (get: (r: SessionRun) => { step: number; value: number }[]): Point[] =>
  runs.flatMap((r) => get(r).map((p) => ({ run: r.label, ...p })));

/** A run being trained: its series name and settings. */
interface Live {
  label: string;
  settings: Settings;
}

/** 2/η of SGD runs (the only ones it applies to): a probe's, else that of an SGD run trained here. */
const twoOverEta = (r: SessionRun | Live): number | null => {
  const probed = 'result' in r ? r.result.sharpness?.twoOverEta : undefined;
  if (probed !== undefined) return probed;
  const trainedHere = !('origin' in r) || r.origin === 'trained';
  return trainedHere && r.settings?.optimizer === 'sgd' ? 2 / r.settings.lr : null;
};
const thresholds = (live?: Live) => [...runs, ...(live ? [live] : [])]
  .flatMap((r) => { const value = twoOverEta(r); return value === null ? [] : [{ run: r.label, value }]; });

/** The training charts with every run's history; `live` adds the run being trained (for its 2/η). */
function showTrainingCharts(live?: Live): void {
  const trained = runs.filter((r) => r.result.history.length > 0);
  byId('training').hidden = trained.length === 0 && !live;
  void charts.loss.stream(curveSpec('Training loss (mean over each log interval)', 'training loss (cross-entropy, nats)'),
    points((r) => r.result.history.map((h) => ({ step: h.step, value: h.loss }))));
  void charts.accuracy.stream(curveSpec('Training accuracy (mean over each log interval)', 'training accuracy (%)'),
    points((r) => r.result.history.map((h) => ({ step: h.step, value: 100 * h.accuracy }))));
  void charts.lambda.stream(lambdaDuringSpec(thresholds(live)),
    points((r) => r.result.duringTraining.map((p) => ({ step: p.step, value: p.lambdaMax }))));
}

/** The latest run's probe charts, and the comparisons across probed runs. */
function showProbeCharts(run: SessionRun): void {
  byId('results').hidden = false;
  const probe = run.probe;
  if (probe) {
    const slices = probe.slices.flatMap(({ direction, slice }) => slice.alphas.map((alpha, i) => ({ direction, alpha, loss: slice.loss[i] })));
    void charts.slices.show(slicesSpec(probe.slices), slices);
    const { plane, axes } = probe.landscape;
    void charts.landscape.show(planeSpec(plane, axes), plane.betas.flatMap((beta, j) => plane.alphas.map((alpha, i) => ({ alpha, beta, loss: plane.loss[j][i] }))));
  } else {
    void charts.slices.clear();
    void charts.landscape.clear();
  }
  const probed = runs.filter((r) => r.result.density);
  const density = probed.map((r) => ({ run: r.label, ...r.result.density! }));
  void charts.density.show(densitySpec(density), density.flatMap((d) => d.grid.map((x, i) => ({ run: d.run, eigenvalue: x, density: d.density[i] }))));
  const vs = runs.filter((r) => r.result.sharpness && Number.isFinite(r.result.test.accuracy))
    .map((r) => ({ run: r.label, lambdaMax: r.result.sharpness!.lambdaMax, testAccuracy: r.result.test.accuracy }));
  void charts.sharpness.show(sharpnessVsAccuracySpec(vs), vs);
  const noisy = runs.filter((r) => r.result.noise).map((r) => ({ ...r.result, configuration: r.label }));
  void charts.noise.show(polish(noiseChartSpec(noisy)),
    noisy.flatMap((r) => r.noise!.directions.map((d) => ({ run: r.configuration, kind: d.kind, lambda: d.lambda, c: d.c, variance: d.spread?.variance ?? null }))));
}

function showRun(run: SessionRun): void {
  byId('results').hidden = false;
  showRuns(runs);
  showMetrics(run);
}

/** Trains a run; true when it finished (neither stopped nor diverged), so it can be probed at once. */
async function trainJob(s: Settings): Promise<boolean> {
  disposeCurrent();
  progress(null, `loading ${s.dataset}`);
  const data = uploadData(gpu!, await loadSplit(s.dataset), s);
  const id = runs.length + 1;
  const label = `#${id} ${configurationName(s)}`;
  showTrainingCharts({ label, settings: s });
  stopper = new AbortController();
  refreshButtons();
  let trained;
  try {
    trained = await trainRun(gpu!, data, s, {
      signal: stopper.signal,
      onLog: async (log, totalSteps) => {
        void charts.loss.insert([{ run: label, step: log.step, value: log.loss }]);
        void charts.accuracy.insert([{ run: label, step: log.step, value: 100 * log.accuracy }]);
        progress(log.step / totalSteps, `${label}: step ${log.step} of ${totalSteps}, loss ${num(log.loss)}`);
        await nextFrame();
      },
      onLambda: async (step, lambdaMax) => {
        void charts.lambda.insert([{ run: label, step, value: lambdaMax }]);
      },
    });
  } catch (err) {
    destroyData(data);
    throw err;
  } finally {
    stopper = null;
    refreshButtons();
  }
  const { model, result, stopped } = trained;
  const note = result.diverged ? `diverged at step ${result.diverged.step}` : stopped ? `stopped at step ${result.steps}` : '';
  const run: SessionRun = {
    id, label, origin: 'trained', settings: s, widths: widths(data, s), activation: TRAIN_ACTIVATION, data: s.dataset,
    samples: { train: data.train.count, test: data.test.count, probe: data.probe.count }, result, note,
    reference: note === '' && hasReferenceSettings(s),
  };
  runs.push(run);
  current = { run, model, data };
  if (result.diverged) disposeCurrent();
  if (result.steps > 0) trainRate = result.seconds / (result.steps * s.batch * parameters(run.widths));
  showRun(run);
  progress(1, `${label}: ${note || `trained in ${duration(result.seconds)}`}`);
  console.info(`demo: ${label}`, JSON.stringify({ train: result.train, test: result.test, steps: result.steps }));
  return note === '';
}

async function probeJob(): Promise<void> {
  const { run, model, data } = current!;
  const s = run.settings!;
  const t0 = performance.now();
  stopper = new AbortController();
  refreshButtons();
  const probe = await probeRun(model, data.probe, s, {
    signal: stopper.signal,
    stage: async (text, k, n) => {
      const elapsed = (performance.now() - t0) / 1000;
      const left = k > 1 ? `, about ${duration((elapsed / (k - 1)) * (n - k + 1))} left` : '';
      progress((k - 1) / n, `${run.label}: probing on ${data.probe.count} samples — stage ${k} of ${n}: ${text} (${duration(elapsed)} elapsed${left})`);
      await nextFrame();
    },
  }, run.origin === 'imported');
  run.probe = probe;
  run.result.sharpness = probe.sharpness;
  run.result.slice = { alphas: probe.slices[0].slice.alphas, loss: probe.slices[0].slice.loss };
  run.result.density = probe.density;
  run.result.noise = probe.noise;
  showRun(run);
  showProbeCharts(run);
  progress(1, `${run.label}: probed in ${duration((performance.now() - t0) / 1000)} (${probe.hvps} Hessian-vector products)`);
  console.info(`demo: ${run.label} probe`, JSON.stringify(probe.sharpness));
  byId('results').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

/** The landscape again, with the form's plane, range and grid (the rest of the probe kept). */
async function landscapeJob(): Promise<void> {
  const { run, model, data } = current!;
  const s = { ...run.settings!, ...pick(readForm(form), ['plane', 'planeRange', 'gridSteps']) };
  progress(null, `${run.label}: 2D landscape (${s.gridSteps}×${s.gridSteps}, ±${s.planeRange})`);
  await nextFrame();
  run.probe!.landscape = await landscapeOf(model, data.probe, s, run.probe!.eigenpairs);
  showProbeCharts(run);
  progress(1, `${run.label}: landscape redrawn`);
}

const pick = <T extends object, K extends keyof T>(o: T, keys: K[]) => Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

/** Full-batch GD at the form's η with λmax traced against 2/η (src/train/full-batch.ts), the study's eos step settings. */
async function eosJob(): Promise<void> {
  const s = readForm(form);
  progress(null, `loading ${s.dataset}`);
  const data = uploadData(gpu!, await loadSplit(s.dataset), s);
  const model = await Mlp.create(gpu!, { widths: widths(data, s), activation: TRAIN_ACTIVATION, seed: s.seed });
  try {
    const { steps, every, powerIters } = DEFAULT_CONFIG.eos;
    const run = await fullBatchDescent(model, data.probe, {
      lr: s.lr, steps, every, powerIters, seed: s.seed,
      onPoint: async (p) => {
        progress(p.step / steps, `full-batch GD η ${s.lr} on ${data.probe.count} samples: step ${p.step} of ${steps}, λmax ${num(p.lambdaMax)}, 2/η ${num(2 / s.lr)}`);
        await nextFrame();
      },
    });
    eosRuns.push(run);
    void charts.eos.show(polish(fullBatchSpec({ samples: data.probe.count, runs: eosRuns })), eosRuns.flatMap((r) => r.trace.map((p) => ({ lr: r.lr, step: p.step, lambdaMax: p.lambdaMax }))));
    const end = run.trace.at(-1);
    progress(1, `full-batch GD η ${s.lr}: ${run.steps} steps` + (end ? `, final λmax ${num(end.lambdaMax)} = ${num(end.lambdaMax / run.twoOverEta, 3)} × 2/η` : '') +
      (run.diverged ? ` (diverged: ${run.diverged.reason})` : ''));
  } finally {
    model.destroy();
    destroyData(data);
  }
}

/** A model from a file (demo/import.ts): evaluated, added to the runs, then probed like a trained one. */
async function importJob(): Promise<void> {
  const s = readForm(form);
  const choice = importChoice();
  disposeCurrent();
  progress(null, `loading ${choice.data ? choice.data.file : s.dataset}`);
  const { model, data, result } = await importedModel(gpu!, choice, choice.data ? null : await loadSplit(s.dataset), s);
  const id = runs.length + 1;
  const run: SessionRun = {
    id, label: `#${id} ${choice.weights.file}`, origin: 'imported', settings: s, widths: choice.weights.widths,
    activation: choice.activation, activationSource: choice.activationSource === 'file' ? 'from file' : choice.activationSource,
    data: choice.data ? choice.data.file : s.dataset, result, note: 'imported', reference: false,
    samples: { train: data.probe.count, test: choice.data ? 0 : data.test.count, probe: data.probe.count },
  };
  runs.push(run);
  current = { run, model, data };
  showRun(run);
  showTrainingCharts();
  await probeJob();
}

function exportJson(): void {
  const body = exportRuns(runs, gpu?.adapter ?? null);
  download(`hessian-gpu-runs-${body.exportedAt.replace(/[:.]/g, '-')}.json`, JSON.stringify(body, null, 1), 'application/json');
}

/** Runs from a results JSON (this page's export or a study's results.json), shown beside this session's. */
async function loadResults(file: File): Promise<void> {
  const status = byId('results-status');
  try {
    const loaded = readResults(await file.text(), file.name, runs.length + 1);
    runs.push(...loaded);
    showRun(loaded.at(-1)!);
    showTrainingCharts();
    showProbeCharts(loaded.at(-1)!);
    setMessage(status, `read ${loaded.length} run${loaded.length === 1 ? '' : 's'} from ${file.name}`);
    refreshButtons();
  } catch (err) {
    setMessage(status, `error: ${message(err)}`);
    byId<HTMLInputElement>('results-file').value = '';
  }
}

const parameters = (w: number[]) => w.slice(1).reduce((sum, out, l) => sum + (w[l] + 1) * out, 0);

/** What a run of these settings will cost, before it starts; a time once this page has measured its rate. */
function estimate(s: Settings): string {
  const shape = DATASETS[s.dataset].shape;
  const train = s.train ? Math.min(s.train, shape.train) : shape.train;
  const probeSamples = s.probeSamples ? Math.min(s.probeSamples, train) : train;
  const w = [shape.features, ...Array<number>(s.depth).fill(s.hidden), shape.classes];
  const steps = s.epochs * Math.ceil(train / s.batch);
  const checks = s.lambdaEvery ? Math.floor(steps / s.lambdaEvery) : 0;
  const P = parameters(w);
  const time = trainRate ? ` ≈ ${duration(trainRate * steps * s.batch * P)} of training at this page's last measured rate;` : '';
  const probe = autoProbe.checked
    ? ` then a probe on ${probeSamples} samples: up to ${s.maxIter} solver iterations, ${2 * s.sliceSteps} slice points and a ${s.gridSteps}×${s.gridSteps} landscape (${s.gridSteps ** 2} loss evaluations).`
    : '';
  return `Cost: ${w.join('-')} MLP (${P.toLocaleString('en')} parameters), ${steps.toLocaleString('en')} minibatch steps of ${s.batch}` +
    `${checks ? `, ${checks} λmax checks` : ''};${time}${probe}`;
}

/** Reads the form for the estimate and the address bar; a bad field is marked and named in the status. */
function formChanged(): void {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  dataChanged();
  try {
    const s = readForm(form);
    byId('estimate').textContent = estimate(s);
    const params = settingsParams(s);
    if (!autoProbe.checked) params.set('probe', '0');
    history.replaceState(null, '', `?${params}`);
    if (!busy && byId('status').textContent?.startsWith('error: ')) setStatus('ready');
  } catch (err) {
    const key = /\((\w+)\)/.exec(message(err))?.[1];
    if (key) form.elements.namedItem(key) && (form.elements.namedItem(key) as HTMLElement).setAttribute('aria-invalid', 'true');
    byId('estimate').textContent = '';
    if (!busy) setStatus(`error: ${message(err)}`);
  }
}

function watchDevice(g: Gpu): void {
  void g.device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    lost = true;
    disposeCurrent();
    showProblem({
      title: 'The GPU device was lost',
      detail: `${info.reason}: ${info.message || 'no message from the browser'}`,
      steps: [
        'Export results JSON still works: it saves the runs finished so far. Then reload the page for a new device.',
        'If it happens again, lower the hidden width, batch size or sample counts: browsers reset a GPU whose work runs too long at once.',
        'Update the GPU driver, and check chrome://gpu for errors.',
      ],
    });
    setStatus(`error: the GPU device was lost (${info.message || info.reason})`);
    refreshButtons();
  });
}

/** Results JSON files dropped anywhere outside the import panel are opened for viewing. */
function acceptResultDrops(): void {
  document.body.addEventListener('dragover', (e) => e.preventDefault());
  document.body.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = [...e.dataTransfer?.files ?? []].find((f) => f.name.endsWith('.json'));
    if (file) void loadResults(file);
    else if (e.dataTransfer?.files.length) setMessage(byId('results-status'), 'error: drop a results .json here, or model files on the import panel');
  });
}

async function start(): Promise<void> {
  buildForm(form, DEFAULTS);
  autoProbe.checked = url.get('probe') !== '0';
  byId('config').addEventListener('change', (e) => writeForm(form, presetFields((e.target as HTMLSelectElement).value)));
  form.addEventListener('input', formChanged);
  form.addEventListener('change', formChanged);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void job(async () => {
      if ((await trainJob(readForm(form))) && autoProbe.checked) await probeJob();
      else byId('results').scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  });
  buttons.stop.addEventListener('click', () => stopper?.abort());
  buttons.probe.addEventListener('click', () => void job(probeJob));
  buttons.landscape.addEventListener('click', () => void job(landscapeJob));
  buttons.export.addEventListener('click', exportJson);
  buttons.import.addEventListener('click', () => void job(importJob));
  buttons.eos.addEventListener('click', () => void job(eosJob));
  const resultsFile = byId<HTMLInputElement>('results-file');
  resultsFile.addEventListener('change', () => resultsFile.files?.[0] && void loadResults(resultsFile.files[0]));
  acceptResultDrops();
  setupImport(refreshButtons, () => {
    const dataset = (form.elements.namedItem('dataset') as HTMLSelectElement).value as keyof typeof DATASETS;
    return { name: dataset, ...DATASETS[dataset].shape };
  });

  // A bad URL parameter is reported but does not stop the page: the form still works, with defaults.
  let urlError: string | null = null;
  try {
    writeForm(form, parseSettings(url));
  } catch (err) {
    urlError = `error: URL parameter: ${message(err)}`;
    setStatus(urlError);
  }
  byId('estimate').textContent = estimate(readForm(form));
  try {
    gpu = await acquireDevice({ log: (line) => console.info(line) });
  } catch (err) {
    showProblem(unavailable(err));
    byId('adapter').querySelector('dd')!.textContent = 'unavailable (see above)';
    byId('adapter-summary').textContent = 'unavailable';
    setStatus(`error: ${message(err)}`);
    return;
  }
  showAdapter(gpu.adapter);
  byId('adapter-summary').textContent = `${gpu.adapter.description || gpu.adapter.vendor || 'an adapter'}${gpu.adapter.software ? ' (software: expect slow runs)' : ''}`;
  watchDevice(gpu);
  refreshButtons();
  setStatus(urlError ?? 'ready');
  if (!urlError && url.get('autorun') === '1') form.requestSubmit();
}

void start();
