/**
 * Float64 CPU references of the core kernels, the ground truth the GPU tests compare against.
 * Written for clarity, not speed: small shapes only.
 */
import type { Activation } from '../vocabulary';
import { GELU_A, GELU_K, activate } from '../util/activation';

export { activate };

/** φ′. ReLU takes φ′(0) = 0, the same convention as the kernels (z > 0). */
export function activateGrad(act: Activation, z: number): number {
  switch (act) {
    case 'relu': return z > 0 ? 1 : 0;
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'gelu': {
      const t = Math.tanh(GELU_K * (z + GELU_A * z * z * z));
      const du = GELU_K * (1 + 3 * GELU_A * z * z);
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du;
    }
  }
}

/** φ″, needed by the tangent backward pass. ReLU's is 0 almost everywhere. */
export function activateCurv(act: Activation, z: number): number {
  switch (act) {
    case 'relu': return 0;
    case 'tanh': {
      const t = Math.tanh(z);
      return -2 * t * (1 - t * t);
    }
    case 'gelu': {
      // With u = k(z + a z³) and t = tanh u: φ″ = (1 − t²)·(u′ + ½ z (u″ − 2 t u′²)).
      const t = Math.tanh(GELU_K * (z + GELU_A * z * z * z));
      const du = GELU_K * (1 + 3 * GELU_A * z * z);
      const d2u = 6 * GELU_K * GELU_A * z;
      return (1 - t * t) * (du + 0.5 * z * (d2u - 2 * t * du * du));
    }
  }
}

/** Element (i, j) of op(X) where X is stored row-major with leading dimension ld at offset off. */
export function at(x: ArrayLike<number>, off: number, ld: number, transpose: boolean, i: number, j: number): number {
  return transpose ? x[off + j * ld + i] : x[off + i * ld + j];
}

export interface RefMatOperand {
  data: ArrayLike<number>;
  offset?: number;
  ld: number;
  transpose?: boolean;
}

/** C = alpha · op(A) · op(B) as an m×n row-major Float64Array. */
export function refMatmul(m: number, n: number, k: number, a: RefMatOperand, b: RefMatOperand, alpha = 1): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += at(a.data, a.offset ?? 0, a.ld, !!a.transpose, i, p) * at(b.data, b.offset ?? 0, b.ld, !!b.transpose, p, j);
      }
      c[i * n + j] = alpha * s;
    }
  }
  return c;
}

export function refActivate(act: Activation | 'identity', z: ArrayLike<number>, order: 0 | 1 | 2): Float64Array {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    if (act === 'identity') out[i] = order === 0 ? z[i] : order === 1 ? 1 : 0;
    else out[i] = order === 0 ? activate(act, z[i]) : order === 1 ? activateGrad(act, z[i]) : activateCurv(act, z[i]);
  }
  return out;
}

export interface RefSoftmaxCe {
  loss: Float64Array;
  correct: Float64Array;
  delta: Float64Array;
  deltaDot: Float64Array;
}

/** Row-wise softmax cross-entropy: per-row loss, argmax hit, δ = scale·(p − onehot), δ̇ = scale·p⊙(ż − ⟨p, ż⟩). */
export function refSoftmaxCe(z: ArrayLike<number>, zDot: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number, scale: number): RefSoftmaxCe {
  const loss = new Float64Array(rows);
  const correct = new Float64Array(rows);
  const delta = new Float64Array(rows * classes);
  const deltaDot = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (z[r * classes + c] > max) { max = z[r * classes + c]; arg = c; }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[r * classes + c] - max);
    const lse = max + Math.log(sum);
    const y = labels[r];
    loss[r] = lse - z[r * classes + y];
    correct[r] = arg === y ? 1 : 0;
    let pz = 0;
    for (let c = 0; c < classes; c++) pz += Math.exp(z[r * classes + c] - lse) * zDot[r * classes + c];
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(z[r * classes + c] - lse);
      delta[r * classes + c] = scale * (p - (c === y ? 1 : 0));
      deltaDot[r * classes + c] = scale * p * (zDot[r * classes + c] - pz);
    }
  }
  return { loss, correct, delta, deltaDot };
}
