/**
 * The hidden activations φ(z) on the host, in float64 — the functions the kernels compute (GELU in
 * its tanh form). Production code that needs features on the host (relative flatness's feature
 * spread) uses this; the float64 references (src/gpu/reference.ts) build their derivatives on the
 * same constants.
 */
import type { Activation } from '../vocabulary';

export const GELU_K = Math.sqrt(2 / Math.PI);
export const GELU_A = 0.044715;

export function activate(act: Activation, z: number): number {
  switch (act) {
    case 'relu': return z > 0 ? z : 0;
    case 'tanh': return Math.tanh(z);
    case 'gelu': return 0.5 * z * (1 + Math.tanh(GELU_K * (z + GELU_A * z * z * z)));
  }
}
