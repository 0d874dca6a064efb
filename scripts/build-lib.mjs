// Builds the installable library: tsc (tsconfig.lib.json) → dist-lib/, then gives every relative
// import its file extension, which Node's ESM loader requires and the sources (bundler resolution)
// leave out. Plain Node, no tsx, so `npm pack` works from a bare checkout with its devDependencies.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-lib');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
function withExtension(file, spec) {
  if (/\.(js|json|wgsl)$/.test(spec)) return spec;
  const base = resolve(dirname(file), spec);
  if (existsSync(`${base}.js`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.js'))) return `${spec}/index.js`;
  throw new Error(`${file}: cannot resolve import '${spec}' in the built library`);
}
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|d\.ts)$/.test(name)) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(SPECIFIER, (_, lead, q, spec) => `${lead}${q}${withExtension(path, spec)}${q}`);
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}
walk(out);
// The benchmark peers (TF.js, jax-js) need the repository's devDependencies: not shipped; `bench peers`
// says so when they are absent (src/bench/run.ts).
rmSync(join(out, 'bench', 'peers'), { recursive: true });
// Data that modules read by URL next to themselves (the shipped matmul tile table) goes beside their build.
for (const rel of readdirSync(join(root, 'src'), { recursive: true })) {
  if (rel.endsWith('.json')) copyFileSync(join(root, 'src', rel), join(out, rel));
}
// Declarations for TypeScript 5.x (package.json: exports "types@<6", typesVersions "<6"): TS ≥ 6 has
// the WebGPU types in its DOM lib, older ones get them from @webgpu/types (a dependency) — referenced
// only there, since both at once are duplicate identifiers. `using` needs the disposable lib on both.
mkdirSync(join(out, 'ts5'));
for (const entry of ['index', 'node', 'study', 'bench']) {
  const own = join(out, `${entry}.d.ts`);
  writeFileSync(own, `/// <reference lib="esnext.disposable" />\n${readFileSync(own, 'utf8')}`);
  writeFileSync(join(out, 'ts5', `${entry}.d.ts`), `/// <reference types="@webgpu/types" />\nexport * from '../${entry}.js';\n`);
}
chmodSync(join(out, 'cli', 'main.js'), 0o755);
console.log(`built ${out}`);
