/**
 * FLOP and byte counts of the MLP passes (the cost model of shared/design/mlp-hvp.md), used to
 * turn benchmark times into GFLOP/s and GB/s. Bytes count each GEMM's operands read once and its
 * result written once: the traffic of an ideally tiled kernel, a lower bound for real ones.
 */
export interface PassCost {
  flops: number;
  bytes: number;
}

export type CostedPass = 'forward' | 'gradient' | 'hvp';

/** One GEMM forming `operands` m×n×k products into one m×n result (a dual product: primal and tangent terms). */
export function gemmCost(m: number, n: number, k: number, operands = 1): PassCost {
  return { flops: 2 * m * n * k * operands, bytes: 4 * operands * (m * k + k * n) + 4 * m * n };
}

export function passCost(widths: readonly number[], rows: number, pass: CostedPass): PassCost {
  let flops = 0;
  let bytes = 0;
  const gemm = (m: number, n: number, k: number, operands = 1) => {
    const c = gemmCost(m, n, k, operands);
    flops += c.flops;
    bytes += c.bytes;
  };
  const L = widths.length - 1;
  for (let l = 1; l <= L; l++) {
    const [i, o] = [widths[l - 1], widths[l]];
    const first = l === 1;
    if (pass === 'forward' || pass === 'gradient') gemm(rows, o, i);
    if (pass === 'hvp') gemm(rows, o, i, first ? 2 : 3); // z, and ż = ḣWᵀ + hVᵀ (ḣ₀ = 0)
    if (pass === 'gradient') {
      gemm(o, i, rows); // ∇W
      if (!first) gemm(rows, i, o); // δ propagation
    }
    if (pass === 'hvp') {
      gemm(o, i, rows, first ? 1 : 2); // (Hv)_W = δ̇ᵀh + δᵀḣ
      if (!first) gemm(rows, i, o, 3); // δ and δ̇ = δ̇W + δV
    }
  }
  return { flops, bytes };
}
