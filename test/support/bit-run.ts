/**
 * One seeded computation whose every bit the determinism test compares: a short SGD run on a tiny
 * MLP (its weight gradients split K on the CPU adapters), then λmax by power iteration (the block
 * eigen-solver on one direction, as the trajectory traces run it) through the block HVP pass, λmax
 * by Lanczos, and one single HVP (its backward in the adapter's tangent-product form). `bitRun`
 * returns its fingerprint; run as a script (`node --import tsx
 * test/support/bit-run.ts`) it prints the fingerprint as one JSON line, for runs in fresh processes.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { acquireDevice } from '../../src/gpu/device';
import type { Gpu } from '../../src/gpu/context';
import { train } from '../../src/train/trainer';
import { hessianBlockOperator } from '../../src/probe/block-operator';
import { topEigenpair } from '../../src/probe/block-eigen';
import { lanczosTop } from '../../src/probe/lanczos-top';
import { makeProblem } from './nets';

export interface BitPrint {
  /** SHA-1 of the trained parameters' bytes. */
  params: string;
  /** λ at every check and the final one, as the hex of their float64 bits. */
  lambdas: string[];
  /** λmax by lanczosTop, after each step and the final one, as hex. */
  lanczos: string[];
  /** SHA-1 of one single HVP's bytes. */
  hvp: string;
}

const hex = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString('hex');

export async function bitRun(gpu: Gpu): Promise<BitPrint> {
  // 600 rows: the 3×16 weight gradient over the full set is long in K and small in output, so it is split.
  const { model, data } = await makeProblem(gpu, [30, 16, 3], 'tanh', 600, 7);
  try {
    const run = await train(model, data, { epochs: 2, batchSize: 40, seed: 3, optimizer: { kind: 'sgd', lr: 0.1 }, evaluate: false });
    run.optimizer.destroy();
    const sha1 = (bytes: ArrayBufferLike) => createHash('sha1').update(new Uint8Array(bytes)).digest('hex');
    const params = sha1((await model.getParams()).buffer);
    const v = model.vector();
    const hv = model.vector();
    v.write(Float32Array.from({ length: model.layout.size }, (_, i) => Math.cos(i)));
    await model.hvp(data, v, hv);
    const hvp = sha1((await hv.read()).buffer);
    v.destroy();
    hv.destroy();
    const op = await hessianBlockOperator(model, data, 1);
    try {
      const { eigenvalue, history, vector } = await topEigenpair(op, { tol: 1e-6, maxIter: 30, seed: 5 });
      vector.destroy();
      const lz = await lanczosTop(op, { tol: 1e-6, seed: 5 });
      return { params, lambdas: [...history, eigenvalue].map(hex), lanczos: [...lz.history, lz.eigenvalue].map(hex), hvp };
    } finally {
      op.destroy();
    }
  } finally {
    model.destroy();
    data.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const gpu = await acquireDevice({ log: () => {} });
  console.log(JSON.stringify(await bitRun(gpu)));
  gpu.destroy();
}
