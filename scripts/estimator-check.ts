/**
 * Measures the probe suite's stochastic estimators on one trained minimum of the default study:
 * `npx tsx scripts/estimator-check.ts [configuration] [seed]` trains that run as the study does
 * (DEFAULT_CONFIG's data, architecture and stopping rule; parameters cached in /tmp), then prints
 * the per-probe variance of plain Hutchinson against the deflated estimator (deflatedTrace) at the
 * same number of HVP slots, λmin by the negative-end solver against the density's Ritz values, and
 * the wall time of each estimator on this adapter. TRACE_ONLY=1 stops after the trace; SLOTS, MIN_STEPS
 * and CYCLES change the HVP count compared and the λmin solver's settings.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { acquireDevice } from '../src/gpu/device';
import { Mlp } from '../src/autograd/mlp';
import { GpuDataset } from '../src/data/gpu-dataset';
import { train } from '../src/train/trainer';
import { DEFAULT_CONFIG } from '../src/study/config';
import { loadSplit } from '../src/study/run-study';
import { hessianBlockOperator } from '../src/probe/block-operator';
import { blockEigen } from '../src/probe/block-eigen';
import { blockHutchinsonTrace } from '../src/probe/hutchinson';
import { deflatedTrace } from '../src/probe/deflated-trace';
import { lowestEigenpairs } from '../src/probe/lowest';
import { spectralDensityBlock } from '../src/probe/lanczos';
import { std } from '../src/util/stats';
import { studentizedMeanInterval } from '../src/util/bootstrap';

const name = process.argv[2] ?? 'Adam_Default';
const seed = Number(process.argv[3] ?? 0);
const config = DEFAULT_CONFIG;
const run = config.configurations.find((c) => c.name === name);
if (!run) throw new Error(`unknown configuration ${name}; one of ${config.configurations.map((c) => c.name).join(', ')}`);

const gpu = await acquireDevice();
const split = await loadSplit(config);
const trainData = GpuDataset.fromDataset(gpu, split.train);
const widths = [split.train.features, ...config.hidden, split.train.classes];
const model = await Mlp.create(gpu, { widths, activation: config.activation, seed });
const cache = `/tmp/estimator-check-${name}-s${seed}.f32`;
if (existsSync(cache)) {
  const bytes = await readFile(cache);
  model.setParams(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
} else {
  const t = performance.now();
  const r = await train(model, trainData, {
    epochs: config.train.maxEpochs, target: { trainLoss: config.train.lossTarget }, batchSize: config.batchSize,
    optimizer: run.optimizer, seed, logEvery: config.logEvery, evalChunkSize: config.probe.chunkSize,
  });
  r.optimizer.destroy();
  console.log(`trained ${name} seed ${seed}: ${r.steps} steps, converged ${JSON.stringify(r.converged)}, ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await writeFile(cache, await model.getParams());
}
const P = model.layout.size;
const chunkSize = config.probe.chunkSize;
const k = 16;
const time = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  const out = await f();
  console.log(`${what}: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  return out;
};

const op = await hessianBlockOperator(model, trainData, k, { chunkSize });
const eig = await time('top-5 (block subspace iteration)', () => blockEigen(op, { want: config.probe.topK, tol: config.probe.tol, maxIter: 100, seed, vectors: true }));
const vectors = await eig.vectors!.read(0, config.probe.topK * P);
eig.vectors!.destroy();
const Q = Array.from({ length: config.probe.topK }, (_, i) => vectors.subarray(i * P, (i + 1) * P));
console.log(`P ${P}; λ ${eig.groups[0].values.map((v) => v.toFixed(4)).join(', ')} (${eig.iterations} passes)`);

const slots = Number(process.env.SLOTS ?? 64);
const plain = await time(`plain Hutchinson, ${slots} probes`, () => blockHutchinsonTrace(op, { samples: slots, seed: seed + 1 }));
const defl = await time(`deflated, ${slots} slots`, () => deflatedTrace(op, Q, { target: 1e-9, minSamples: slots - Q.length, maxSamples: slots - Q.length, seed: seed + 1 }));
const varPlain = std(plain.estimates) ** 2 / plain.samples;
const varDefl = std(defl.estimates) ** 2 / defl.samples;
const ci = (x: number[], offset = 0) => {
  const i = studentizedMeanInterval(x);
  return `${(offset + i.estimate).toFixed(3)} [${(offset + i.low).toFixed(3)}, ${(offset + i.high).toFixed(3)}]`;
};
console.log(`plain: ${ci(plain.estimates)}, per-probe sd ${std(plain.estimates).toFixed(3)}, se ${Math.sqrt(varPlain).toFixed(3)}`);
console.log(`deflated: ${ci(defl.estimates, defl.deflatedPart)} (exact part ${defl.deflatedPart.toFixed(3)}, rank ${defl.rank}), ` +
  `per-probe sd ${std(defl.estimates).toFixed(3)}, se ${Math.sqrt(varDefl).toFixed(3)}`);
console.log(`variance reduction at ${slots} HVP slots: ${(varPlain / varDefl).toFixed(1)}×`);
const adaptive = await time('deflated, adaptive (2 %, ≤ 128 probes)', () => deflatedTrace(op, Q, { seed: seed + 2 }));
console.log(`adaptive: ${adaptive.trace.toFixed(3)} [${adaptive.low.toFixed(3)}, ${adaptive.high.toFixed(3)}], ${adaptive.samples} probes, stop ${adaptive.stop}`);

if (process.env.TRACE_ONLY) {
  op.destroy();
  model.destroy();
  trainData.destroy();
  process.exit(0);
}
const dens = await time('density, 8 runs × 30 steps (block of 8)', async () => {
  const op8 = await hessianBlockOperator(model, trainData, 8, { chunkSize });
  try {
    return await spectralDensityBlock(op8, { runs: 8, steps: 30, seed });
  } finally {
    op8.destroy();
  }
});
const runMin = dens.runs.map((r) => Math.min(...r.values));
console.log(`density runs' smallest Ritz values: ${runMin.map((v) => v.toFixed(4)).join(', ')}`);
const dmean = dens.runs.map((r) => r.values.reduce((s, v, i) => s + v * r.weights[i], 0));
console.log(`density runs' means × P: ${dmean.map((v) => (v * P).toFixed(2)).join(', ')}`);
op.destroy();

const single = await hessianBlockOperator(model, trainData, 1, { chunkSize });
for (const steps of (process.env.MIN_STEPS ?? '40').split(',').map(Number)) {
  const low = await time(`λmin, ${steps} steps × cycles`, () => lowestEigenpairs(single, { want: 2, steps, cycles: Number(process.env.CYCLES ?? 3), tol: config.probe.tol, scale: eig.groups[0].values[0], seed }));
  console.log(`λmin ${low.values.map((v) => v.toFixed(5)).join(', ')} residuals ${low.residuals.map((v) => v.toExponential(2)).join(', ')} ` +
    `converged ${low.converged.join(', ')}, ${low.cycles} cycles, ${low.hvps} HVPs; per cycle ${low.history.map((v) => v.toFixed(5)).join(' → ')}`);
}
single.destroy();
model.destroy();
trainData.destroy();
