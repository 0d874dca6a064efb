/**
 * The installable library: `npm pack` (which builds dist-lib/ through prepack), the tarball unpacked
 * into a temporary project as npm would install it, and a consumer that trains and measures λmax in
 * plain Node — no tsx, no sources — plus the bin and the type declarations.
 *
 * Offline by design: the tarball's dependencies are linked from this checkout's node_modules instead
 * of fetched (npm install --offline needs them in the npm cache, which a CI machine installed with
 * `npm ci` from a lock file does not reliably have). The package itself comes only from the tarball.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ENGINE_VERSION } from '../../src/version';

const run = promisify(execFile);
const repo = resolve(fileURLToPath(import.meta.url), '../../..');
let project = '';
let installed = '';
let manifest: { version: string; dependencies: Record<string, string>; bin: Record<string, string>; exports: Record<string, unknown> };

describe('the packed library', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'hessian-consumer-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: repo, maxBuffer: 1 << 26 });
    const tarball = join(project, (JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[])[0].filename);
    installed = join(project, 'node_modules', 'hessian-gpu');
    await mkdir(installed, { recursive: true });
    await run('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
    manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'));
    for (const dep of [...Object.keys(manifest.dependencies), '@webgpu/types', '@types/node']) {
      const link = join(project, 'node_modules', dep);
      await mkdir(resolve(link, '..'), { recursive: true });
      await symlink(join(repo, 'node_modules', dep), link, 'dir');
    }
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  }, 600_000);

  it('ships built ESM, declarations and the WGSL, without sources or test-only code', async () => {
    expect(manifest.version).toBe(ENGINE_VERSION);
    const files = await readdir(join(installed, 'dist-lib'), { recursive: true });
    expect(files).toContain('index.js');
    expect(files).toContain('index.d.ts');
    expect(files).toContain('node.d.ts');
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // The float64 references are test-only and not built; ml-matrix is a runtime dependency because
    // the block eigen-solver solves its small Rayleigh–Ritz problem with it (src/probe/block-eigen.ts).
    expect(files.filter((f) => /reference\.(js|d\.ts)$/.test(f))).toEqual([]);
    expect(Object.keys(manifest.dependencies)).toContain('ml-matrix');
    const shaders = await readdir(join(installed, 'shaders'));
    expect(shaders).toContain('matmul.wgsl');
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('trains and measures λmax from plain Node', async () => {
    await writeFile(join(project, 'consumer.mjs'), `
import { acquireDevice, loadMnistPackage, splitDataset, take, GpuDataset, Mlp, train, hessianOperator, topEigenvalue } from 'hessian-gpu/node';
const gpu = await acquireDevice({ log: () => {} });
const split = splitDataset(await loadMnistPackage(), { testFraction: 0.2, seed: 0 });
const data = GpuDataset.fromDataset(gpu, take(split.train, 512));
const model = await Mlp.create(gpu, { widths: [784, 16, 10], activation: 'relu', seed: 0 });
const before = await model.loss(data);
const result = await train(model, data, { epochs: 2, batchSize: 64, optimizer: { kind: 'adam', lr: 3e-3 }, seed: 0, evaluate: false });
result.optimizer.destroy();
const after = await model.loss(data);
const op = await hessianOperator(model, data);
const power = await topEigenvalue(op, { tol: 1e-3, maxIter: 50, seed: 0 });
power.vector.destroy();
op.destroy();
console.log(JSON.stringify({ before: before.loss, after: after.loss, lambdaMax: power.eigenvalue, diverged: result.diverged }));
model.destroy();
data.destroy();
gpu.destroy();
`);
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: project });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.diverged).toBeNull();
    expect(out.after).toBeLessThan(out.before);
    expect(Number.isFinite(out.lambdaMax) && out.lambdaMax > 0).toBe(true);
  });

  it('has a bin that runs under plain node and a strict command line', async () => {
    const bin = join(installed, manifest.bin['hessian-gpu']);
    const help = await run(bin, ['--help'], { cwd: project });
    expect(help.stdout).toMatch(/study .*train .*probe .*bench/s);
    const typo = await run(bin, ['--confg', 'x.json'], { cwd: project }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(typo?.code).toBe(1);
    expect(typo?.stderr).toMatch(/unknown option '--confg' \(did you mean '--config'\?\)/);
  });

  it('type-checks a TypeScript consumer against the declarations', async () => {
    await writeFile(join(project, 'typed.ts'), `
import { Mlp, acquireDevice, type StudyConfig } from 'hessian-gpu';
import { loadCheckpoint } from 'hessian-gpu/node';
export async function widths(path: string, config: StudyConfig): Promise<number> {
  const gpu = await acquireDevice();
  const ckpt = await loadCheckpoint(path);
  const model = await Mlp.create(gpu, ckpt.model);
  const n: number = model.layout.size + config.hidden.length;
  model.destroy();
  return n;
}
`);
    await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', '@webgpu/types,node', 'typed.ts'], { cwd: project });
  });
});
