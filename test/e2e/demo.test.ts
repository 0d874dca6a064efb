/**
 * End to end: the built demo site in headless Chromium (WebGPU on SwiftShader) trains and probes a
 * tiny run from URL parameters, and its numbers must match the same run computed here in Node by
 * the same engine on Dawn (lavapipe) — the check that one TypeScript + WGSL engine gives one answer
 * in both runtimes. A second page without navigator.gpu must explain what to do.
 *
 * Nothing here is skipped quietly: if Chromium cannot start or finds no WebGPU adapter, the tests
 * fail and say why. SwiftShader is slow, so the run is tiny (784-16-10, 8 steps of 64 samples).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { Mlp } from '../../src/autograd/mlp';
import { take } from '../../src/data/dataset';
import { GpuDataset } from '../../src/data/gpu-dataset';
import { loadDataset } from '../../src/data/load-dataset';
import { hessianOperator } from '../support/operator';
import { topEigenvalue } from '../support/power';
import { DEFAULT_CONFIG } from '../../src/study/config';
import { train } from '../../src/train/trainer';
import { buildDemoData } from '../../scripts/build-demo-data';
import { serveStatic, type StaticServer } from '../support/static-server';
import { useGpu } from '../support/gpu';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** The page's URL parameters; the Node run below reads the same values. */
const RUN = {
  config: 'Adam_Default', hidden: 16, epochs: 1, batch: 64, train: 512, test: 256, seed: 0,
  logEvery: 4, lambdaEvery: 8, probeSamples: 128, maxIter: 20, topK: 2, densitySteps: 6, sliceSteps: 5, gridSteps: 3,
};

/**
 * Different drivers (SwiftShader here, lavapipe or a GPU in Node) may round exp/log and fused
 * multiply-adds differently. Measured (SwiftShader vs lavapipe): losses 1.2e-7 apart, λmax 7e-8,
 * test accuracy identical. The bounds leave room for other drivers yet catch a wrong setting: a 1%
 * larger learning rate moves the train loss by 9e-4 and another batch order by 3.5e-3 (and λmax by
 * 3.5e-2). Accuracy may differ by one test sample whose top two logits tie to float32 rounding;
 * λmax by up to the power iteration's tolerance (1e-3) if the drivers stop one iteration apart.
 */
const TOLERANCE = { lossRelative: 1e-5, accuracySamples: 1, lambdaRelative: 2e-3 };

const gpu = useGpu();
let site: StaticServer;
let browser: BrowserContext;
let profile: string;
let dist: string;

beforeAll(async () => {
  await buildDemoData();
  dist = await mkdtemp(join(tmpdir(), 'hessian-demo-dist-'));
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: dist } });
  site = await serveStatic(dist);
  profile = await mkdtemp(join(tmpdir(), 'hessian-demo-chromium-'));
  try {
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    throw new Error(`cannot start Chromium at ${CHROMIUM}: ${(err as Error).message}\nFix: install Debian's chromium (bash .ci/setup does).`);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  for (const dir of [profile, dist]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** The page's console, kept for failure messages. */
function record(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return lines;
}

/** Waits until the status reads 'done', 'stopped' or 'error: …'; returns it, failing with the page's last words on timeout. */
async function finalStatus(page: Page, log: string[], timeout: number): Promise<string> {
  try {
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="status"]')?.textContent ?? '';
      return s === 'done' || s === 'stopped' || s.startsWith('error');
    }, null, { timeout, polling: 250 });
  } catch (err) {
    const progress = await page.getByTestId('progress').textContent().catch(() => '?');
    throw new Error(`the page did not finish within ${timeout / 1000} s (last progress: ${progress})\n${log.slice(-20).join('\n')}\n${(err as Error).message}`);
  }
  return (await page.getByTestId('status').textContent()) ?? '';
}

async function value(page: Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).getAttribute('data-value');
  if (text === null) throw new Error(`the page shows no value for ${testId}`);
  return Number(JSON.parse(text));
}

/** Page widths the layout must fit without sideways scrolling of the page itself. */
const VIEWPORTS = { wide: { width: 1440, height: 900 }, narrow: { width: 390, height: 844 } };

/** How far the page overflows its window at each width (0: it fits; charts and tables scroll in their own boxes). */
async function overflowAt(page: Page): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    out[name] = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  }
  return out;
}

/** Where screenshots go: test-artifacts/, or DEMO_SCREENSHOTS=docs/demo to refresh the README's. */
const SHOTS = join(ROOT, process.env.DEMO_SCREENSHOTS ?? 'test-artifacts');

/** Screenshots at both widths: one window's worth from the latest run's results down, to keep the PNGs small. */
async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  for (const size of Object.values(VIEWPORTS)) {
    await page.setViewportSize(size);
    await page.evaluate(() => document.getElementById('results')!.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, `${name}-${size.width}.png`) });
  }
}

/** Every drawn chart and, per chart, how many of its labelled axes lack a title (Vega draws titles as role-axis-title text). */
async function untitledAxes(page: Page): Promise<{ chart: string; axes: number; untitled: number }[]> {
  return page.evaluate(() => [...document.querySelectorAll('.chart:not([hidden])')].map((box) => {
    // Vega-Lite draws each axis's grid as a separate axis group without labels: those are not axes to title.
    const axes = [...box.querySelectorAll('svg.marks g.role-axis')].filter((a) => a.querySelector('.role-axis-label text'));
    const untitled = axes.filter((a) => !(a.querySelector('.role-axis-title text')?.textContent ?? '').trim()).length;
    return { chart: box.id, axes: axes.length, untitled };
  }));
}

/** The page's run, step for step, on the Node device. */
async function nodeRun() {
  const g = gpu();
  const p = DEFAULT_CONFIG.probe;
  const split = await loadDataset({ source: 'mnist-10k', testFraction: 0.2, seed: 0 });
  const trainSet = take(split.train, RUN.train);
  const trainData = GpuDataset.fromDataset(g, trainSet);
  const testData = GpuDataset.fromDataset(g, take(split.test, RUN.test));
  const probeData = GpuDataset.fromDataset(g, take(trainSet, RUN.probeSamples));
  const model = await Mlp.create(g, { widths: [784, RUN.hidden, 10], activation: 'relu', seed: RUN.seed });
  const result = await train(model, trainData, {
    epochs: RUN.epochs, batchSize: RUN.batch, optimizer: { kind: 'adam', lr: 1e-3, weightDecay: 0 }, seed: RUN.seed,
    test: testData, evalChunkSize: p.chunkSize,
  });
  result.optimizer.destroy();
  const op = await hessianOperator(model, probeData, { chunkSize: p.chunkSize });
  const power = await topEigenvalue(op, { tol: p.tol, maxIter: RUN.maxIter, seed: RUN.seed });
  op.destroy();
  for (const d of [model, trainData, testData, probeData]) d.destroy();
  const last = result.evals.at(-1)!;
  return { trainLoss: last.train.loss, testLoss: last.test!.loss, testAccuracy: last.test!.accuracy, lambdaMax: power.eigenvalue };
}

describe('demo site in Chromium', () => {
  it('trains and probes from URL parameters, matching the same run in Node', async () => {
    let t = performance.now();
    const node = await nodeRun();
    const nodeSeconds = (performance.now() - t) / 1000;

    const page = await browser.newPage();
    const log = record(page);
    const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(RUN).map(([k, v]) => [k, String(v)])), autorun: '1', probe: '1' });
    t = performance.now();
    await page.goto(`${site.url}?${query}`);
    const status = await finalStatus(page, log, 240_000);
    const pageSeconds = (performance.now() - t) / 1000;
    await mkdir(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'demo.png'), fullPage: true });
    if (status !== 'done') throw new Error(`the demo page ended with '${status}'; its console:\n${log.slice(-20).join('\n')}`);

    const browserRun = {
      trainLoss: await value(page, 'train-loss'),
      testLoss: await value(page, 'test-loss'),
      testAccuracy: await value(page, 'test-accuracy'),
      lambdaMax: await value(page, 'lambda-max'),
    };
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    const gaps = {
      trainLoss: rel(browserRun.trainLoss, node.trainLoss),
      testLoss: rel(browserRun.testLoss, node.testLoss),
      testAccuracySamples: Math.round(Math.abs(browserRun.testAccuracy - node.testAccuracy) * RUN.test),
      lambdaMax: rel(browserRun.lambdaMax, node.lambdaMax),
    };
    process.stdout.write(`demo e2e: browser ${JSON.stringify(browserRun)}\n          node    ${JSON.stringify(node)}\n` +
      `          gaps ${JSON.stringify(gaps)}; page ${pageSeconds.toFixed(1)} s (${await page.getByTestId('adapter-architecture').textContent()}), ` +
      `node ${nodeSeconds.toFixed(1)} s (${gpu().adapter.description})\n`);
    expect(gaps.trainLoss).toBeLessThanOrEqual(TOLERANCE.lossRelative);
    expect(gaps.testLoss).toBeLessThanOrEqual(TOLERANCE.lossRelative);
    expect(gaps.testAccuracySamples).toBeLessThanOrEqual(TOLERANCE.accuracySamples);
    expect(gaps.lambdaMax).toBeLessThanOrEqual(TOLERANCE.lambdaRelative);

    expect(await page.getByTestId('run-row').count()).toBe(1);
    expect(JSON.parse((await page.getByTestId('top-k').getAttribute('data-value'))!)).toHaveLength(RUN.topK);
    // The run records its model and data.
    expect(JSON.parse((await page.getByTestId('run-model').getAttribute('data-value'))!))
      .toEqual({ widths: [784, RUN.hidden, 10], activation: 'relu', data: 'mnist-10k', samples: { train: RUN.train, test: RUN.test, probe: RUN.probeSamples } });
    const row = await page.getByTestId('run-row').innerText();
    expect(row).toContain('784-16-10');
    expect(row).toContain('relu');
    // A 1-epoch run on 512 samples is not the reference study's: no reference columns.
    expect(await page.getByTestId('runs-table').innerText()).not.toContain('Ref.');
    // Eight charts (3 live, 5 after the probe), each drawn by Vega as one SVG, every axis titled.
    expect(await page.locator('.charts svg.marks').count()).toBe(8);
    const axes = await untitledAxes(page);
    expect(axes).toHaveLength(8);
    for (const a of axes) {
      expect(a.axes, `${a.chart} has axes`).toBeGreaterThanOrEqual(2);
      expect(a.untitled, `${a.chart}'s axes all have titles`).toBe(0);
    }
    // Adam: no 2/η rule in the λmax chart.
    expect(await page.locator('#chart-lambda svg.marks .role-mark.mark-rule').count()).toBe(0);
    expect(await overflowAt(page)).toEqual({ wide: 0, narrow: 0 });
    await screenshots(page, 'after-run');

    // The export, loaded back on a fresh page, shows the same run.
    await page.setViewportSize(VIEWPORTS.wide);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-button')]);
    const exported = await download.path();
    const viewer = await browser.newPage();
    await viewer.goto(site.url);
    await viewer.setInputFiles('#results-file', exported);
    await viewer.waitForFunction(() => document.querySelector('[data-testid="results-status"]')?.textContent?.startsWith('read'));
    expect(await viewer.getByTestId('results-status').textContent()).toMatch(/^read 1 run from /);
    expect(await value(viewer, 'lambda-max')).toBe(browserRun.lambdaMax);
    expect(await value(viewer, 'train-loss')).toBe(browserRun.trainLoss);
    expect(await viewer.getByTestId('run-row').innerText()).toContain('784-16-10');
    expect(await viewer.locator('#chart-landscape svg.marks').count()).toBe(1);
    await viewer.close();
    await page.close();
  }, 420_000);

  it('the address bar follows the form, and a copied link restores it', async () => {
    const page = await browser.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'ready', null, { timeout: 60_000 });
    await page.selectOption('#config', 'Sharp_SGD_HighLR');
    await page.fill('#hidden', '24');
    await page.fill('#lr', '0.05');
    await page.click('form details summary');
    await page.fill('#gridSteps', '9');
    await page.selectOption('#plane', 'eigen');
    await page.click('#auto-probe');
    const link = page.url();
    const params = new URL(link).searchParams;
    expect(Object.fromEntries(params)).toEqual({ config: 'Sharp_SGD_HighLR', hidden: '24', lr: '0.05', gridSteps: '9', plane: 'eigen', probe: '0' });
    // A bad value is named by its label, marked, and kept out of the address bar.
    await page.fill('#lr', '-1');
    expect(await page.getByTestId('status').textContent()).toMatch(/^error: Learning rate \(lr\): "-1" is not valid; it must be a finite number > 0/);
    expect(await page.locator('#lr').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toBe(link);
    const copy = await browser.newPage();
    await copy.goto(link);
    await copy.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'ready', null, { timeout: 60_000 });
    const form = await copy.evaluate(() => Object.fromEntries(['config', 'hidden', 'lr', 'gridSteps', 'plane', 'optimizer'].map((k) =>
      [k, (document.getElementById(k) as HTMLInputElement).value])));
    expect(form).toEqual({ config: 'Sharp_SGD_HighLR', hidden: '24', lr: '0.05', gridSteps: '9', plane: 'eigen', optimizer: 'sgd' });
    expect(await copy.locator('#auto-probe').isChecked()).toBe(false);
    expect(await copy.getByTestId('estimate').textContent()).toContain('784-24-10');
    await copy.close();
    await page.close();
  });

  it("views a CLI study's results.json dropped on the page: every run, charts with titled axes, no overflow", async () => {
    const page = await browser.newPage();
    await page.setViewportSize(VIEWPORTS.wide);
    await page.goto(site.url);
    const study = JSON.parse(await readFile(join(ROOT, 'docs', 'study', 'results.json'), 'utf8'));
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'results.json', { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, JSON.stringify(study));
    await page.waitForFunction(() => document.querySelector('[data-testid="results-status"]')?.textContent !== '');
    expect(await page.getByTestId('results-status').textContent()).toBe(`read ${study.runs.length} runs from results.json`);
    expect(await page.getByTestId('run-row').count()).toBe(study.runs.length);
    expect(await value(page, 'lambda-max')).toBe(study.runs.at(-1).sharpness.lambdaMax);
    const axes = await untitledAxes(page);
    expect(axes.map((a) => a.chart).sort()).toEqual(['chart-accuracy', 'chart-density', 'chart-lambda', 'chart-loss', 'chart-noise', 'chart-sharpness']);
    for (const a of axes) expect(a.untitled, `${a.chart}'s axes all have titles`).toBe(0);
    // SGD runs' 2/η lines, and only theirs.
    const sgd = new Set(study.runs.filter((r: { sharpness: { twoOverEta: number | null } }) => r.sharpness?.twoOverEta != null).map((r: { configuration: string }) => r.configuration));
    expect(await page.locator('#chart-lambda svg.marks .mark-rule.role-mark line').count()).toBe(study.runs.filter((r: { configuration: string }) => sgd.has(r.configuration)).length);
    expect(await overflowAt(page)).toEqual({ wide: 0, narrow: 0 });
    await page.close();
  });

  it('stops a probe between stages, showing stage k of n and the time so far', async () => {
    const page = await browser.newPage();
    const log = record(page);
    const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(RUN).map(([k, v]) => [k, String(v)])), epochs: '1', train: '128', lambdaEvery: '0', autorun: '1' });
    await page.goto(`${site.url}?${query}`);
    await page.waitForFunction(() => /stage [2-9] of \d+/.test(document.querySelector('[data-testid="progress"]')?.textContent ?? ''), null, { timeout: 240_000, polling: 50 });
    const during = (await page.getByTestId('progress').textContent())!;
    expect(during).toMatch(/probing on \d+ samples — stage \d+ of \d+: .*elapsed, about .* left\)/);
    await page.click('#stop-button');
    const status = await finalStatus(page, log, 240_000);
    expect(status).toBe('stopped');
    expect(await page.getByTestId('progress').textContent()).toMatch(/^stopped before /);
    // The run stays, trained and unprobed; the page can probe it again.
    expect(await page.getByTestId('run-row').count()).toBe(1);
    expect(await page.getByTestId('lambda-max').getAttribute('data-value')).toBeNull();
    expect(await page.locator('#probe-button').isDisabled()).toBe(false);
    await page.close();
  }, 300_000);

  it('probes a PyTorch model and data dropped on the page, matching PyTorch; a bad file is reported, naming it', async () => {
    const fixtures = join(ROOT, 'test', 'fixtures');
    const torch = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')).cases['seq-6-5-3 on data-float'];
    const page = await browser.newPage();
    const log = record(page);
    await page.goto(`${site.url}?seed=0&maxIter=300&topK=2&densitySteps=6&sliceSteps=5&gridSteps=3`);
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'ready', null, { timeout: 60_000 });
    /** Drops files on the panel the way a browser does: one drop event carrying a DataTransfer. */
    const drop = async (names: string[]) => {
      const files = await Promise.all(names.map(async (name) => ({ name, bytes: [...await readFile(join(fixtures, name))] })));
      await page.evaluate((list) => {
        const dt = new DataTransfer();
        for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
        document.getElementById('drop-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, files);
    };
    await drop(['labels.npy']);
    await page.waitForFunction(() => document.querySelector('[data-testid="import-status"]')?.textContent?.startsWith('error'));
    expect(await page.getByTestId('import-status').textContent()).toMatch(/labels\.npy: holds a single \.npy array/);
    expect(await page.getByTestId('import-status').getAttribute('class')).toContain('error');
    // A bad data file is reported as a data file, and its picker cleared.
    await page.setInputFiles('#data-file', join(fixtures, 'seq-6-5-3.safetensors'));
    await page.waitForFunction(() => document.querySelector('[data-testid="import-status"]')?.textContent?.includes('data file'));
    expect(await page.getByTestId('import-status').textContent()).toMatch(/^error: data file: seq-6-5-3\.safetensors: not an \.npz archive/);
    expect(await page.locator('#data-file').inputValue()).toBe('');
    // A model that records tanh: used, and said where it came from; it does not fit the digits, which is said on load.
    await drop(['ours-6-4-3-tanh.safetensors']);
    await page.waitForFunction(() => document.querySelector('[data-testid="import-activation-source"]')?.textContent !== '');
    expect(await page.locator('#import-activation').inputValue()).toBe('tanh');
    expect(await page.getByTestId('import-activation-source').getAttribute('data-value')).toBe('file');
    expect(await page.getByTestId('import-status').textContent()).toMatch(/error: ours-6-4-3-tanh\.safetensors takes 6 inputs but mnist-10k has 784 features/);
    expect(await page.locator('#import-probe-button').isDisabled()).toBe(true);
    // Then a model without a recorded activation: the menu does not keep tanh; relu is assumed, and said to be.
    await drop(['seq-6-5-3.safetensors', 'data-float.npz']);
    await page.waitForFunction(() => !(document.getElementById('import-probe-button') as HTMLButtonElement).disabled);
    expect(await page.locator('#import-activation').inputValue()).toBe('relu');
    expect(await page.getByTestId('import-activation-source').getAttribute('data-value')).toBe('assumed');
    expect(await page.getByTestId('import-activation-source').textContent()).toMatch(/^assumed — seq-6-5-3\.safetensors does not record its activation/);
    expect(await page.getByTestId('import-status').getAttribute('class')).not.toContain('error');
    const architecture = await page.getByTestId('import-architecture').innerText();
    expect(architecture).toContain('6-5-3 MLP from seq-6-5-3.safetensors');
    expect(architecture).toContain('0.weight [5 × 6] + 0.bias, F32');
    expect(architecture).toContain('data-float.npz: 48 samples × 6 features');
    await page.click('#import-probe-button');
    const status = await finalStatus(page, log, 240_000);
    if (status !== 'done') throw new Error(`the imported probe ended with '${status}'; its console:\n${log.slice(-20).join('\n')}`);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    const got = { loss: await value(page, 'train-loss'), lambdaMax: await value(page, 'lambda-max') };
    process.stdout.write(`demo e2e import: page ${JSON.stringify(got)}, PyTorch float64 loss ${torch.loss}, λmax ${torch.lambdaMax}\n`);
    expect(rel(got.loss, torch.loss)).toBeLessThanOrEqual(TOLERANCE.lossRelative);
    // The page stops power iteration at the study's tol (1e-3), so λmax agrees to about that.
    expect(rel(got.lambdaMax, torch.lambdaMax)).toBeLessThanOrEqual(TOLERANCE.lambdaRelative);
    const row = await page.getByTestId('run-row').first().innerText();
    expect(row).toContain('seq-6-5-3.safetensors (imported)');
    expect(row).toContain('relu (assumed)');
    expect(row).toContain('data-float.npz');
    expect(JSON.parse((await page.getByTestId('run-model').getAttribute('data-value'))!))
      .toEqual({ widths: [6, 5, 3], activation: 'relu', data: 'data-float.npz', samples: { train: 48, test: 0, probe: 48 } });
    expect(await page.locator('#chart-density svg.marks').count()).toBe(1);
    expect(await page.locator('#chart-slices svg.marks').count()).toBe(1);
    // No empty charts: an imported model has no training curves, and no test set for sharpness vs accuracy.
    expect(await page.locator('#training').isHidden()).toBe(true);
    expect(await page.locator('#chart-sharpness').isHidden()).toBe(true);
    for (const a of await untitledAxes(page)) expect(a.untitled, `${a.chart}'s axes all have titles`).toBe(0);
    expect(await overflowAt(page)).toEqual({ wide: 0, narrow: 0 });
    await screenshots(page, 'after-import');
    await page.close();
  }, 300_000);

  it('runs the benchmark page on the same adapter (completes, finite positive numbers)', async () => {
    const page = await browser.newPage();
    const log = record(page);
    await page.goto(`${site.url}bench.html?suite=hvp&samples=64&repeats=1&autorun=1`);
    const status = await finalStatus(page, log, 240_000);
    if (status !== 'done') throw new Error(`the bench page ended with '${status}'; its console:\n${log.slice(-20).join('\n')}`);
    const cells = await page.locator('[data-testid="tables"] td').allInnerTexts();
    // Two MLP shapes × (shape, samples, forward ms, 2 × (ms, GFLOP/s), ratio, backward form, other form's ms, block ms, per-direction ratio).
    expect(cells).toHaveLength(24);
    for (const c of cells.filter((c) => /^[\d.]+$/.test(c))) expect(Number(c)).toBeGreaterThan(0);
    expect(cells.filter((c) => /^[\d.]+$/.test(c)).length).toBeGreaterThanOrEqual(18);
    await page.close();
  }, 300_000);

  it('explains what to do when the browser has no WebGPU', async () => {
    const page = await browser.newPage();
    const log = record(page);
    await page.addInitScript(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    await page.goto(site.url);
    const status = await finalStatus(page, log, 30_000);
    expect(status).toMatch(/^error: .*navigator\.gpu is missing/);
    const problem = page.getByTestId('problem');
    expect(await problem.isVisible()).toBe(true);
    const text = await problem.innerText();
    expect(text).toContain('WebGPU is not available in this browser');
    expect(text).toContain('What to do');
    expect(text).toContain('--enable-unsafe-webgpu');
    expect(await page.locator('#train-button').isDisabled()).toBe(true);
    await page.close();
  });
});
