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
import { hessianOperator } from '../../src/probe/operator';
import { topEigenvalue } from '../../src/probe/power';
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
  logEvery: 4, lambdaEvery: 8, probeSamples: 128, maxIter: 20, topK: 2, lanczosSteps: 6, densitySteps: 6, sliceSteps: 5, gridSteps: 3,
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

/** Waits until the status reads 'done' or 'error: …'; returns it, failing with the page's last words on timeout. */
async function finalStatus(page: Page, log: string[], timeout: number): Promise<string> {
  try {
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid="status"]')?.textContent ?? '';
      return s === 'done' || s.startsWith('error');
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
    // Eight charts (3 live, 5 after the probe), each drawn by Vega as one SVG.
    expect(await page.locator('.charts svg.marks').count()).toBe(8);
    await page.close();
  }, 420_000);

  it('probes a PyTorch model and data dropped on the page, matching PyTorch; a bad file is reported, naming it', async () => {
    const fixtures = join(ROOT, 'test', 'fixtures');
    const torch = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')).cases['seq-6-5-3 on data-float'];
    const page = await browser.newPage();
    const log = record(page);
    await page.goto(`${site.url}?seed=0&maxIter=300&topK=2&lanczosSteps=6&densitySteps=6&sliceSteps=5&gridSteps=3`);
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
    await drop(['seq-6-5-3.safetensors', 'data-float.npz']);
    await page.waitForFunction(() => !(document.getElementById('import-probe-button') as HTMLButtonElement).disabled);
    const architecture = await page.getByTestId('import-architecture').innerText();
    expect(architecture).toContain('6-5-3 MLP from seq-6-5-3.safetensors');
    expect(architecture).toContain('0.weight [5 × 6] + 0.bias, F32');
    expect(architecture).toContain('data-float.npz');
    await page.click('#import-probe-button');
    const status = await finalStatus(page, log, 240_000);
    if (status !== 'done') throw new Error(`the imported probe ended with '${status}'; its console:\n${log.slice(-20).join('\n')}`);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    const got = { loss: await value(page, 'train-loss'), lambdaMax: await value(page, 'lambda-max') };
    process.stdout.write(`demo e2e import: page ${JSON.stringify(got)}, PyTorch float64 loss ${torch.loss}, λmax ${torch.lambdaMax}\n`);
    expect(rel(got.loss, torch.loss)).toBeLessThanOrEqual(TOLERANCE.lossRelative);
    // The page stops power iteration at the study's tol (1e-3), so λmax agrees to about that.
    expect(rel(got.lambdaMax, torch.lambdaMax)).toBeLessThanOrEqual(TOLERANCE.lambdaRelative);
    expect(await page.getByTestId('run-row').first().innerText()).toContain('seq-6-5-3.safetensors (imported)');
    expect(await page.locator('#chart-density svg.marks').count()).toBe(1);
    expect(await page.locator('#chart-slices svg.marks').count()).toBe(1);
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'demo-import.png'), fullPage: true });
    await page.close();
  }, 300_000);

  it('runs the benchmark page on the same adapter (completes, finite positive numbers)', async () => {
    const page = await browser.newPage();
    const log = record(page);
    await page.goto(`${site.url}bench.html?suite=hvp&samples=64&repeats=1&autorun=1`);
    const status = await finalStatus(page, log, 240_000);
    if (status !== 'done') throw new Error(`the bench page ended with '${status}'; its console:\n${log.slice(-20).join('\n')}`);
    const cells = await page.locator('[data-testid="tables"] td').allInnerTexts();
    // Two MLP shapes × (shape, samples, forward ms, 2 × (ms, GFLOP/s), ratio, block ms, per-direction ratio).
    expect(cells).toHaveLength(20);
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
