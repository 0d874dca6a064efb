/** Fresh random inputs for kernel tests (seeded per call site so a failure can be replayed). */
import { Rng } from '../../src/util/rng';

export function randomNormal(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/** A seed that differs on every run, printed by the caller so failures are reproducible. */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
