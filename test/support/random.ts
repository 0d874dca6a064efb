/** Fresh random inputs for kernel tests (seeded per call site so a failure can be replayed). */
import { Rng } from '../../src/util/rng';

export function randomNormal(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/**
 * The seed of a test file's random inputs: fixed by default, so a run is reproducible. Set
 * HESSIAN_TEST_SEED=random to draw a fresh one each run (a wider search), or =N to replay seed N.
 * Callers print it in their describe() name, so a failure shows the seed to replay.
 */
export function freshSeed(fixed = 20240611): number {
  const asked = process.env.HESSIAN_TEST_SEED;
  if (asked === undefined || asked === '') return fixed;
  if (asked === 'random') return (Date.now() ^ (process.pid << 16)) >>> 0;
  if (!/^\d+$/.test(asked)) throw new Error(`HESSIAN_TEST_SEED must be 'random' or a non-negative integer, got '${asked}'`);
  return Number(asked);
}
