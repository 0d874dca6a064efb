/**
 * Float64 CPU reference of the MLP passes in shared/design/mlp-hvp.md: forward, gradient and the
 * exact Hessian-vector product by forward-over-backward (Pearlmutter's R-op), and the dense
 * Gauss–Newton matrix JᵀH_outJ formed from explicit Jacobians. Every GPU kernel is
 * checked against these, so the code mirrors the design doc's equations line by line with plain
 * loops, and works in float64 so that its own rounding sits far below the float32 kernels'.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { paramLayout, type LayerSlice, type ParamLayout } from './layout';

import { ACTIVATIONS, isActivation, type Activation } from '../vocabulary';
import { activate, activateCurv, activateGrad } from '../gpu/reference';

export type { Activation };
export { activate, activateCurv, activateGrad };

export interface RefBatch {
  /** count × widths[0], row-major. */
  x: Float64Array | Float32Array;
  labels: Uint8Array | Uint32Array | ArrayLike<number>;
  count: number;
}

export interface RefOptions {
  widths: number[];
  activation: Activation;
  weightDecay?: number;
  /** Adds ½·wd·‖θ‖² over all parameters (biases too), so its Hessian is exactly wd·I. */
  includeRegulariser?: boolean;
}

export interface RefForwardResult {
  /** Mean cross-entropy, plus the regulariser when it is included. */
  loss: number;
  /** count × classes, row-major. */
  logits: Float64Array;
  /** Rows whose argmax (lowest index on ties) equals the label. */
  correct: number;
  /** Cross-entropy of each row, without the regulariser. */
  perRowLoss: Float64Array;
}

/** Primal quantities of one forward pass: h[0] = x, z[l] = h[l]·W_lᵀ + b_l, h[l+1] = φ(z[l]); z[L−1] are the logits. */
export interface ForwardTrace {
  h: Float64Array[];
  z: Float64Array[];
}

/** Above this a dense Hessian (P² float64s) is a mistake rather than a reference. */
const MAX_DENSE_PARAMS = 4096;


export function refForward(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions): RefForwardResult {
  const { trace, perRowLoss } = evaluate(params, batch, opts);
  const logits = trace.z[trace.z.length - 1];
  const classes = opts.widths[opts.widths.length - 1];
  let correct = 0;
  for (let r = 0; r < batch.count; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (logits[r * classes + c] > logits[r * classes + best]) best = c;
    }
    if (best === batch.labels[r]) correct++;
  }
  let loss = 0;
  for (const l of perRowLoss) loss += l;
  loss /= batch.count;
  const wd = regulariserScale(opts);
  if (wd !== 0) {
    let sq = 0;
    for (let i = 0; i < params.length; i++) sq += params[i] * params[i];
    loss += 0.5 * wd * sq;
  }
  return { loss, logits, correct, perRowLoss };
}

/** The primal pass alone, for checks on hidden activations (e.g. that ReLU inputs sit away from the kink). */
export function refForwardTrace(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions): ForwardTrace {
  return evaluate(params, batch, opts).trace;
}

export function refGradient(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions): Float64Array {
  const { layout, trace, probs } = evaluate(params, batch, opts);
  const { grad } = backward(params, layout, trace, probs, batch, opts.activation);
  addScaled(grad, regulariserScale(opts), params);
  return grad;
}

export function refHvp(params: ArrayLike<number>, batch: RefBatch, v: ArrayLike<number>, opts: RefOptions): Float64Array {
  const { layout, trace, probs } = evaluate(params, batch, opts);
  if (v.length !== layout.size) {
    throw new Error(`direction has ${v.length} elements but widths [${opts.widths.join(', ')}] need ${layout.size}`);
  }
  const act = opts.activation;
  const rows = batch.count;
  const { delta, carried } = backward(params, layout, trace, probs, batch, act);
  const L = layout.layers.length;
  const { zDot, hDot } = tangentForward(params, layout, trace, v, rows, act);

  // Softmax tangent: ṗ = p ⊙ (ż − ⟨p, ż⟩_row), δ̇_L = ṗ / B.
  const classes = layout.layers[L - 1].outDim;
  const zdL = zDot[L - 1];
  let deltaDot = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let mean = 0;
    for (let c = 0; c < classes; c++) mean += probs[o + c] * zdL[o + c];
    for (let c = 0; c < classes; c++) deltaDot[o + c] = (probs[o + c] * (zdL[o + c] - mean)) / rows;
  }

  // Tangent backward: the tangent of ∇W_l = δ_lᵀ h_l is δ̇_lᵀ h_l + δ_lᵀ ḣ_l; of ∇b_l, Σ_rows δ̇_l.
  const hv = new Float64Array(layout.size);
  for (let l = L - 1; l >= 0; l--) {
    const s = layout.layers[l];
    linearBackward(hv, deltaDot, trace.h[l], rows, s, true);
    linearBackward(hv, delta[l], hDot[l], rows, s, false);
    if (l === 0) break;
    const t = new Float64Array(rows * s.inDim);
    backpropInput(t, deltaDot, rows, params, s);
    backpropInput(t, delta[l], rows, v, s);
    const z = trace.z[l - 1];
    const g = carried[l - 1];
    const zd = zDot[l - 1];
    deltaDot = t.map((ti, i) => ti * activateGrad(act, z[i]) + g[i] * activateCurv(act, z[i]) * zd[i]);
  }
  addScaled(hv, regulariserScale(opts), v);
  return hv;
}

/**
 * Dense P×P generalised Gauss–Newton matrix G = (1/B) Σ_s J_sᵀ (diag p_s − p_s p_sᵀ) J_s (+ wd·I with
 * the regulariser), built explicitly: each logits Jacobian J_s (classes × P) column by column from
 * the tangent forward pass with θ̇ = e_j, then the products in float64. Only for tiny nets.
 */
export function refGgn(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions): Float64Array {
  const { layout, trace, probs } = evaluate(params, batch, opts);
  const P = layout.size;
  if (P > MAX_DENSE_PARAMS) throw new Error(`refGgn is for tiny nets: ${P} parameters exceeds ${MAX_DENSE_PARAMS}`);
  const rows = batch.count;
  const C = layout.layers[layout.layers.length - 1].outDim;
  // J[(r·C + c)·P + j] = ∂z_L[r, c] / ∂θ_j.
  const J = new Float64Array(rows * C * P);
  const e = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    e[j] = 1;
    const { zDot } = tangentForward(params, layout, trace, e, rows, opts.activation);
    zDot[zDot.length - 1].forEach((t, i) => (J[i * P + j] = t));
    e[j] = 0;
  }
  const G = new Float64Array(P * P);
  const hJ = new Float64Array(C * P);
  for (let r = 0; r < rows; r++) {
    const p = probs.subarray(r * C, (r + 1) * C);
    const Jr = J.subarray(r * C * P, (r + 1) * C * P);
    // hJ = H_out·J_r with H_out = diag p − ppᵀ; then G += J_rᵀ·hJ / B.
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < P; j++) {
        let pj = 0;
        for (let d = 0; d < C; d++) pj += p[d] * Jr[d * P + j];
        hJ[c * P + j] = p[c] * (Jr[c * P + j] - pj);
      }
    }
    for (let c = 0; c < C; c++) {
      for (let a = 0; a < P; a++) {
        const ja = Jr[c * P + a] / rows;
        if (ja === 0) continue;
        for (let b = 0; b < P; b++) G[a * P + b] += ja * hJ[c * P + b];
      }
    }
  }
  const wd = regulariserScale(opts);
  for (let a = 0; a < P; a++) G[a * P + a] += wd;
  return G;
}

/** Dense P×P Hessian (row-major), column j = H·e_j. Only for tiny nets: P is capped at MAX_DENSE_PARAMS. */
export function refHessian(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions): Float64Array {
  const P = paramLayout(opts.widths).size;
  if (P > MAX_DENSE_PARAMS) throw new Error(`refHessian is for tiny nets: ${P} parameters exceeds ${MAX_DENSE_PARAMS}`);
  const H = new Float64Array(P * P);
  const e = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    e[j] = 1;
    const col = refHvp(params, batch, e, opts);
    for (let i = 0; i < P; i++) H[i * P + j] = col[i];
    e[j] = 0;
  }
  return H;
}

/** Eigenvalues of the symmetric part (H + Hᵀ)/2 of an n×n row-major matrix, sorted descending. */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new Error(`expected an n×n matrix with n = ${n}, got ${matrix.length} elements`);
  }
  const sym = Matrix.zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) sym.set(i, j, 0.5 * (matrix[i * n + j] + matrix[j * n + i]));
  }
  const values = new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues;
  return Float64Array.from(values).sort().reverse();
}

/** Validates the inputs, then runs the primal forward pass and the softmax cross-entropy every entry point needs. */
function evaluate(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions) {
  const layout = validate(params, batch, opts);
  const rows = batch.count;
  const h = [Float64Array.from(batch.x)];
  const z: Float64Array[] = [];
  layout.layers.forEach((s, l) => {
    const zl = new Float64Array(rows * s.outDim);
    linear(zl, h[l], rows, params, s, true);
    z.push(zl);
    if (l < layout.layers.length - 1) h.push(zl.map((zi) => activate(opts.activation, zi)));
  });

  // logsumexp with the row max subtracted, so large logits stay finite.
  const classes = layout.layers[layout.layers.length - 1].outDim;
  const logits = z[z.length - 1];
  const probs = new Float64Array(rows * classes);
  const perRowLoss = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c] - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < classes; c++) probs[o + c] = Math.exp(logits[o + c] - lse);
    perRowLoss[r] = lse - logits[o + batch.labels[r]];
  }
  const trace: ForwardTrace = { h, z };
  return { layout, trace, probs, perRowLoss };
}

/**
 * Primal backward pass. Besides the gradient (without regulariser) it keeps each layer's δ and the
 * product δ_l·W_l before φ′ ("carried"), which the tangent backward pass reuses in its φ″ term.
 */
function backward(
  params: ArrayLike<number>, layout: ParamLayout, trace: ForwardTrace, probs: Float64Array,
  batch: RefBatch, act: Activation,
) {
  const rows = batch.count;
  const L = layout.layers.length;
  const classes = layout.layers[L - 1].outDim;
  const delta: Float64Array[] = new Array(L);
  const carried: Float64Array[] = new Array(L - 1);
  // δ_L = (softmax(z_L) − Y) / B
  delta[L - 1] = probs.map((p, i) => (p - (i % classes === batch.labels[Math.floor(i / classes)] ? 1 : 0)) / rows);
  const grad = new Float64Array(layout.size);
  for (let l = L - 1; l >= 0; l--) {
    const s = layout.layers[l];
    linearBackward(grad, delta[l], trace.h[l], rows, s, true);
    if (l === 0) break;
    const g = new Float64Array(rows * s.inDim);
    backpropInput(g, delta[l], rows, params, s);
    carried[l - 1] = g;
    delta[l - 1] = g.map((gi, i) => gi * activateGrad(act, trace.z[l - 1][i]));
  }
  return { grad, delta, carried };
}

/**
 * Tangent forward with θ̇ = v: ż_l = ḣ_{l−1}·W_lᵀ + h_{l−1}·V_lᵀ + c_l, ḣ_l = φ′(z_l) ⊙ ż_l. ḣ₀ = 0 is kept
 * as an explicit zero array so every layer runs the same code.
 */
function tangentForward(params: ArrayLike<number>, layout: ParamLayout, trace: ForwardTrace, v: ArrayLike<number>, rows: number, act: Activation) {
  const L = layout.layers.length;
  const hDot = [new Float64Array(trace.h[0].length)];
  const zDot: Float64Array[] = [];
  layout.layers.forEach((s, l) => {
    const zd = new Float64Array(rows * s.outDim);
    linear(zd, hDot[l], rows, params, s, false);
    linear(zd, trace.h[l], rows, v, s, true);
    zDot.push(zd);
    if (l < L - 1) hDot.push(zd.map((t, i) => activateGrad(act, trace.z[l][i]) * t));
  });
  return { zDot, hDot };
}

/** out += input·Wᵀ (+ b). `source` is θ for the primal pass and v for the tangent's V, c terms. */
function linear(
  out: Float64Array, input: ArrayLike<number>, rows: number, source: ArrayLike<number>, s: LayerSlice, withBias: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < s.outDim; o++) {
      let acc = withBias ? source[s.biasOffset + o] : 0;
      const w = s.weightOffset + o * s.inDim;
      for (let i = 0; i < s.inDim; i++) acc += input[r * s.inDim + i] * source[w + i];
      out[r * s.outDim + o] += acc;
    }
  }
}

/** Adds δᵀ·input into W's slot of `out` (and Σ_rows δ into b's slot): a weight gradient, primal or tangent. */
function linearBackward(
  out: Float64Array, delta: Float64Array, input: Float64Array, rows: number, s: LayerSlice, withBias: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < s.outDim; o++) {
      const d = delta[r * s.outDim + o];
      if (withBias) out[s.biasOffset + o] += d;
      const w = s.weightOffset + o * s.inDim;
      for (let i = 0; i < s.inDim; i++) out[w + i] += d * input[r * s.inDim + i];
    }
  }
}

/** out += δ·W, carrying a delta back through a layer's weights (θ's W or v's V). */
function backpropInput(out: Float64Array, delta: Float64Array, rows: number, source: ArrayLike<number>, s: LayerSlice): void {
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < s.outDim; o++) {
      const d = delta[r * s.outDim + o];
      const w = s.weightOffset + o * s.inDim;
      for (let i = 0; i < s.inDim; i++) out[r * s.inDim + i] += d * source[w + i];
    }
  }
}

function regulariserScale(opts: RefOptions): number {
  return opts.includeRegulariser ? (opts.weightDecay ?? 0) : 0;
}

function addScaled(out: Float64Array, scale: number, vec: ArrayLike<number>): void {
  if (scale === 0) return;
  for (let i = 0; i < out.length; i++) out[i] += scale * vec[i];
}

function validate(params: ArrayLike<number>, batch: RefBatch, opts: RefOptions): ParamLayout {
  if (!isActivation(opts.activation)) {
    throw new Error(`unknown activation '${opts.activation}' (expected ${ACTIVATIONS.join(', ')})`);
  }
  if (opts.weightDecay !== undefined && !Number.isFinite(opts.weightDecay)) {
    throw new Error(`weightDecay must be a finite number, got ${opts.weightDecay}`);
  }
  const layout = paramLayout(opts.widths);
  const widths = `[${opts.widths.join(', ')}]`;
  if (params.length !== layout.size) {
    throw new Error(`params has ${params.length} elements but widths ${widths} need ${layout.size}`);
  }
  const { count, x, labels } = batch;
  if (!Number.isInteger(count) || count < 1) throw new Error(`batch count must be a positive integer, got ${count}`);
  if (x.length !== count * opts.widths[0]) {
    throw new Error(`x has ${x.length} elements but count ${count} × input width ${opts.widths[0]} = ${count * opts.widths[0]}`);
  }
  if (labels.length !== count) throw new Error(`labels has ${labels.length} entries but count is ${count}`);
  const classes = opts.widths[opts.widths.length - 1];
  for (let r = 0; r < count; r++) {
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new Error(`label ${y} at row ${r} is not a class index in [0, ${classes})`);
    }
  }
  return layout;
}
