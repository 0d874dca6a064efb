/**
 * The demo page: acquire this browser's WebGPU device, then train, probe and compare runs on it.
 * Work runs as one job at a time — status 'running', then 'done' or 'error: …' — which is what
 * automation waits on (?autorun=1&probe=1 starts a job at load). Training yields a frame at every
 * log point, so the charts repaint and Stop stays clickable while the GPU works.
 */
import { Mlp } from '../src/autograd/mlp';
import { DEFAULT_CONFIG } from '../src/study/config';
import { fullBatchSpec } from '../src/study/eos-report';
import { fullBatchDescent, type FullBatchResult } from '../src/train/full-batch';
import type { Gpu } from '../src/gpu/context';
import { acquireDevice } from '../src/gpu/device';
import { densitySpec, sharpnessDuringTrainingSpec, sharpnessVsAccuracySpec } from '../src/study/charts';
import { noiseChartSpec } from '../src/study/noise-report';
import { REFERENCE } from '../src/study/report';
import type { RunResult } from '../src/study/results';
import { Chart, curveSpec, planeSpec, slicesSpec, streaming, type Point } from './charts';
import { loadSplit } from './datasets';
import { destroyData, DIRECTIONS, importedModel, probeRun, trainRun, uploadData, widths, type RunData } from './session';
import { importChoice, importReady, setupImport } from './import';
import { configurationName, DEFAULTS, parseSettings, presetFields, type Settings } from './settings';
import { buildForm, byId, readForm, showAdapter, showMetrics, showProblem, showRuns, writeForm, type SessionRun } from './view';
import { message, unavailable } from './problems';

const url = new URLSearchParams(location.search);
const form = byId<HTMLFormElement>('settings');
const autoProbe = byId<HTMLInputElement>('auto-probe');
const buttons = {
  train: byId<HTMLButtonElement>('train-button'),
  stop: byId<HTMLButtonElement>('stop-button'),
  probe: byId<HTMLButtonElement>('probe-button'),
  export: byId<HTMLButtonElement>('export-button'),
  import: byId<HTMLButtonElement>('import-probe-button'),
  eos: byId<HTMLButtonElement>('eos-button'),
};
const charts = {
  loss: new Chart(byId('chart-loss')),
  accuracy: new Chart(byId('chart-accuracy')),
  lambda: new Chart(byId('chart-lambda')),
  slices: new Chart(byId('chart-slices')),
  plane: new Chart(byId('chart-plane')),
  density: new Chart(byId('chart-density')),
  sharpness: new Chart(byId('chart-sharpness')),
  eos: new Chart(byId('chart-eos')),
  noise: new Chart(byId('chart-noise')),
};

const runs: SessionRun[] = [];
/** Full-batch GD traces of this session, one line each in the edge-of-stability chart. */
const eosRuns: FullBatchResult[] = [];
/** The latest run's model and data, kept on the GPU so Probe can measure it. */
let current: { run: SessionRun; model: Mlp; data: RunData } | null = null;
let gpu: Gpu | null = null;
let lost = false;
let busy = false;
let training: AbortController | null = null;

const setStatus = (text: string) => { byId<HTMLOutputElement>('status').value = text; };

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
  buttons.train.disabled = !gpu || lost || busy;
  buttons.stop.disabled = !training;
  buttons.probe.disabled = !current || lost || busy;
  buttons.export.disabled = runs.length === 0;
  buttons.import.disabled = !gpu || lost || busy || !importReady();
  buttons.eos.disabled = !gpu || lost || busy;
}

async function job(work: () => Promise<void>): Promise<void> {
  busy = true;
  refreshButtons();
  setStatus('running');
  try {
    await work();
    setStatus('done');
  } catch (err) {
    console.error(err);
    setStatus(`error: ${message(err)}`);
  } finally {
    busy = false;
    refreshButtons();
  }
}

function disposeCurrent(): void {
  if (!current) return;
  current.model.destroy();
  destroyData(current.data);
  current = null;
}

/** Runs as the study's chart specs see them: each under its session label, so two runs of one preset stay apart. */
const labelled = (): RunResult[] => runs.map((r) => ({ ...r.result, configuration: r.label }));

/** Every run's points per step, for the live charts' starting data. */
const points = (get: (r: RunResult) => { step: number; value: number }[]): Point[] =>
  runs.flatMap((r) => get(r.result).map((p) => ({ run: r.label, ...p })));

function showTrainingCharts(): void {
  void charts.loss.show(curveSpec('Training loss (mean per log interval)', 'loss',
    points((r) => r.history.map((h) => ({ step: h.step, value: h.loss }))), { type: 'log' }));
  void charts.accuracy.show(curveSpec('Training accuracy (mean per log interval)', 'accuracy',
    points((r) => r.history.map((h) => ({ step: h.step, value: h.accuracy })))));
  void charts.lambda.show(streaming(sharpnessDuringTrainingSpec(labelled()),
    points((r) => r.duringTraining.map((p) => ({ step: p.step, value: p.lambdaMax })))));
}

function showProbeCharts(run: SessionRun): void {
  void charts.slices.show(slicesSpec(run.probe!.slices));
  void charts.plane.show(planeSpec(run.probe!.plane, DIRECTIONS));
  void charts.density.show(densitySpec(labelled()));
  void charts.sharpness.show(sharpnessVsAccuracySpec(labelled()));
  void charts.noise.show(noiseChartSpec(labelled().filter((r) => r.noise)));
}

/** Trains a run; true when it finished (neither stopped nor diverged), so it can be probed at once. */
async function trainJob(s: Settings): Promise<boolean> {
  disposeCurrent();
  progress(null, `loading ${s.dataset}`);
  const data = uploadData(gpu!, await loadSplit(s.dataset), s);
  const id = runs.length + 1;
  const label = `#${id} ${configurationName(s)}`;
  showTrainingCharts();
  training = new AbortController();
  refreshButtons();
  let trained;
  try {
    trained = await trainRun(gpu!, data, s, {
      signal: training.signal,
      onLog: async (log, totalSteps) => {
        void charts.loss.insert([{ run: label, step: log.step, value: log.loss }]);
        void charts.accuracy.insert([{ run: label, step: log.step, value: log.accuracy }]);
        progress(log.step / totalSteps, `${label}: step ${log.step} / ${totalSteps}, loss ${log.loss.toFixed(4)}`);
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
    training = null;
    refreshButtons();
  }
  const { model, result, stopped } = trained;
  const note = result.diverged ? `diverged at step ${result.diverged.step}` : stopped ? `stopped at step ${result.steps}` : '';
  const run: SessionRun = {
    id, label, settings: s, widths: widths(data, s), result, note,
    samples: { train: data.train.count, test: data.test.count, probe: data.probe.count },
  };
  runs.push(run);
  current = { run, model, data };
  if (result.diverged) disposeCurrent();
  showRuns(runs);
  showMetrics(run);
  progress(1, `${label}: ${note || `trained in ${result.seconds.toFixed(1)} s`}`);
  console.info(`demo: ${label}`, JSON.stringify({ train: result.train, test: result.test, steps: result.steps }));
  return note === '';
}

async function probeJob(): Promise<void> {
  const { run, model, data } = current!;
  const t0 = performance.now();
  const probe = await probeRun(model, data.probe, run.settings, async (stage) => {
    progress(null, `${run.label}: probing on ${data.probe.count} samples — ${stage}`);
    await nextFrame();
  });
  run.probe = probe;
  run.result.sharpness = probe.sharpness;
  run.result.slice = { alphas: probe.slices[0].slice.alphas, loss: probe.slices[0].slice.loss };
  run.result.density = probe.density;
  run.result.noise = probe.noise;
  showMetrics(run);
  showRuns(runs);
  showProbeCharts(run);
  showTrainingCharts();
  progress(1, `${run.label}: probed in ${((performance.now() - t0) / 1000).toFixed(1)} s (${probe.hvps} Hessian-vector products)`);
  console.info(`demo: ${run.label} probe`, JSON.stringify(probe.sharpness));
}

/** Full-batch GD at the form's η with λmax traced against 2/η (src/train/full-batch.ts), the study's eos step settings. */
async function eosJob(): Promise<void> {
  const s = readForm(form);
  progress(null, `loading ${s.dataset}`);
  const data = uploadData(gpu!, await loadSplit(s.dataset), s);
  const model = await Mlp.create(gpu!, { widths: widths(data, s), activation: DEFAULT_CONFIG.activation, seed: s.seed });
  try {
    const { steps, every, powerIters } = DEFAULT_CONFIG.eos;
    const run = await fullBatchDescent(model, data.probe, {
      lr: s.lr, steps, every, powerIters, seed: s.seed,
      onPoint: async (p) => {
        progress(p.step / steps, `full-batch GD η ${s.lr} on ${data.probe.count} samples: step ${p.step} / ${steps}, λmax ${p.lambdaMax.toFixed(3)}, 2/η ${(2 / s.lr).toFixed(3)}`);
        await nextFrame();
      },
    });
    eosRuns.push(run);
    void charts.eos.show(fullBatchSpec({ samples: data.probe.count, runs: eosRuns }));
    const end = run.trace.at(-1);
    progress(1, `full-batch GD η ${s.lr}: ${run.steps} steps` + (end ? `, final λmax ${end.lambdaMax.toFixed(3)} = ${(end.lambdaMax / run.twoOverEta).toFixed(2)} × 2/η` : '') +
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
    id, label: `#${id} ${choice.weights.file}`, settings: s, widths: choice.weights.widths, result, note: 'imported',
    samples: { train: data.probe.count, test: choice.data ? 0 : data.test.count, probe: data.probe.count },
  };
  runs.push(run);
  current = { run, model, data };
  showRuns(runs);
  showMetrics(run);
  await probeJob();
}

function exportJson(): void {
  const body = {
    exportedAt: new Date().toISOString(),
    adapter: gpu?.adapter ?? null,
    reference: REFERENCE,
    runs: runs.map(({ label, settings, widths, samples, note, result, probe }) =>
      ({ label, settings, widths, samples, note, result, slices: probe?.slices, plane: probe?.plane })),
  };
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([JSON.stringify(body, null, 1)], { type: 'application/json' }));
  link.download = `hessian-gpu-runs-${body.exportedAt.replace(/[:.]/g, '-')}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
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
        'Export JSON still works: it saves the runs finished so far. Then reload the page for a new device.',
        'If it happens again, lower the hidden width, batch size or sample counts: browsers reset a GPU whose work runs too long at once.',
        'Update the GPU driver, and check chrome://gpu for errors.',
      ],
    });
    setStatus(`error: the GPU device was lost (${info.message || info.reason})`);
    refreshButtons();
  });
}

async function start(): Promise<void> {
  buildForm(form, DEFAULTS);
  autoProbe.checked = url.get('probe') === '1';
  byId('config').addEventListener('change', (e) => writeForm(form, presetFields((e.target as HTMLSelectElement).value)));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void job(async () => {
      if ((await trainJob(readForm(form))) && autoProbe.checked) await probeJob();
    });
  });
  buttons.stop.addEventListener('click', () => training?.abort());
  buttons.probe.addEventListener('click', () => void job(probeJob));
  buttons.export.addEventListener('click', exportJson);
  buttons.import.addEventListener('click', () => void job(importJob));
  buttons.eos.addEventListener('click', () => void job(eosJob));
  setupImport(refreshButtons);

  // A bad URL parameter is reported but does not stop the page: the form still works, with defaults.
  let urlError: string | null = null;
  try {
    writeForm(form, parseSettings(url));
  } catch (err) {
    urlError = `error: URL parameter: ${message(err)}`;
    setStatus(urlError);
  }
  try {
    gpu = await acquireDevice({ log: (line) => console.info(line) });
  } catch (err) {
    showProblem(unavailable(err));
    byId('adapter').querySelector('dd')!.textContent = 'unavailable (see above)';
    setStatus(`error: ${message(err)}`);
    return;
  }
  showAdapter(gpu.adapter);
  watchDevice(gpu);
  refreshButtons();
  setStatus(urlError ?? 'ready');
  if (!urlError && url.get('autorun') === '1') form.requestSubmit();
}

void start();
