/**
 * The benchmark suites (`import … from 'hessian-gpu/bench'`), browser-safe: what `npm run bench`
 * runs (kernels, hvp, train, probe; the peers need the repository's devDependencies), for a page
 * such as the demo's bench.html. Listed in docs/api.md, which test/package/pack.test.ts checks.
 */
export { runBench, parseBenchArgs, type BenchArgs, type BenchEnv } from './bench/run';
export type { CpuInfo } from './bench/roofline';
