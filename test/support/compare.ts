/**
 * The one comparison rule used by every numeric test:
 *   |actual − expected| ≤ atol + rtol·|expected|, element by element.
 * A NaN anywhere fails (so NaN-poisoned outputs that a kernel never wrote are caught).
 * The failure message names the first failing index and the worst error.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface CompareReport {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  firstFailure: number;
  message: string;
}

export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label = 'values',
): CompareReport {
  if (actual.length !== expected.length) {
    return {
      ok: false, maxAbsError: Infinity, maxRelError: Infinity, firstFailure: 0,
      message: `${label}: length ${actual.length} ≠ expected ${expected.length}`,
    };
  }
  let maxAbs = 0;
  let maxRel = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const pass = err <= tol.atol + tol.rtol * Math.abs(e);
    if (!pass && first < 0) first = i;
    if (Number.isNaN(err)) {
      maxAbs = NaN;
    } else if (!Number.isNaN(maxAbs)) {
      maxAbs = Math.max(maxAbs, err);
      if (e !== 0) maxRel = Math.max(maxRel, err / Math.abs(e));
    }
  }
  const ok = first < 0;
  const where = ok ? '' : `; first failure at [${first}]: got ${actual[first]}, expected ${expected[first]}`;
  return {
    ok, maxAbsError: maxAbs, maxRelError: maxRel, firstFailure: first,
    message: `${label}: n=${actual.length}, max |err|=${maxAbs.toExponential(3)}, max rel=${maxRel.toExponential(3)} ` +
      `(atol ${tol.atol}, rtol ${tol.rtol})${where}`,
  };
}

/** Throws with the report's message when the comparison fails; returns the report otherwise. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label?: string,
): CompareReport {
  const report = compareArrays(actual, expected, tol, label);
  if (!report.ok) throw new Error(report.message);
  return report;
}

/** Relative difference of two scalars, for identities such as uᵀHv = vᵀHu. */
export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
}
