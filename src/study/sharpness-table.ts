/**
 * One minimum's sharpness measures as labelled rows — each number with the solver that produced it
 * and its convergence, each stochastic estimate with its 95 % interval — for every place that shows
 * a single probed minimum (the Gauss–Newton matrix's λmax and trace beside the Hessian's when
 * measured): `probe --checkpoint` and `probe --weights` print these lines, and the
 * imported model's report.md tabulates them, so the two commands show the same measures.
 */
import type { Bounds, Sharpness } from './results';

export interface SharpnessRow {
  measure: string;
  value: string;
}

const f = (x: number, digits = 4) => (Number.isFinite(x) ? x.toPrecision(digits) : String(x));

/** "v [low, high]" with the interval, or "v [interval undefined]" (too few probes). */
export function withBounds(value: number, b: Bounds | undefined, digits = 4): string {
  const ok = b && Number.isFinite(b.low) && Number.isFinite(b.high);
  return `${f(value, digits)} ${ok ? `[${f(b.low, digits)}, ${f(b.high, digits)}]` : '[interval undefined]'}`;
}

/** Near-degenerate pairs named, so directional quantities along them are read with care. */
const unresolved = (s: Sharpness) => {
  const idx = s.topKResolved.flatMap((ok, i) => (ok ? [] : [i + 1]));
  return idx.length ? `; pairs ${idx.join(', ')} not resolved from a neighbour (gap below residual)` : '';
};

const state = (converged: boolean) => (converged ? 'converged' : 'NOT converged');

export function sharpnessRows(s: Sharpness): SharpnessRow[] {
  const topDone = s.topKConverged.filter(Boolean).length;
  const rows: SharpnessRow[] = [
    { measure: 'λmax', value: `${f(s.lambdaMax, 6)} (${state(s.lambdaConverged)}, relative residual ${s.lambdaResidual.toExponential(2)}; ${s.solvers.lambdaMax})` },
    {
      measure: `top-${s.topK.length}`,
      value: `${s.topK.map((x) => f(x)).join(', ')} (${topDone} of ${s.topK.length} converged, largest residual ` +
        `${Math.max(...s.topKResiduals).toExponential(2)}${unresolved(s)}; ${s.solvers.topK})`,
    },
    {
      measure: 'λmin',
      value: `${f(s.lambdaMin)} ± ${s.lambdaMinResidual.toExponential(2)} (${state(s.lambdaMinConverged)}` +
        `${s.lambdaMinResolved ? '' : ', not resolved from the next pair'}; |λmin|/λmax ${f(Math.abs(s.lambdaMin) / s.lambdaMax, 3)}; ${s.solvers.lambdaMin})`,
    },
    { measure: 'trace (95 % interval)', value: `${withBounds(s.trace, s.traceInterval)} (${s.solvers.trace})` },
    ...gaussNewtonRows(s),
    { measure: 'spectral density', value: s.solvers.density },
    { measure: 'perturbation sharpness, mean loss increase (95 % interval) / max', value: `${withBounds(s.perturbationMean, s.perturbationInterval)} / ${f(s.perturbationMax)}` },
  ];
  if (s.adaptiveAverage !== undefined) {
    rows.push({ measure: 'adaptive sharpness, average (95 % interval)', value: withBounds(s.adaptiveAverage, s.adaptiveAverageInterval) });
  }
  if (s.adaptiveWorst !== undefined) rows.push({ measure: 'adaptive sharpness, worst case found (a lower bound)', value: f(s.adaptiveWorst) });
  if (s.relativeFlatness !== undefined) rows.push({ measure: 'relative flatness κ, last layer (95 % interval)', value: withBounds(s.relativeFlatness, s.relativeFlatnessInterval) });
  if (s.relativeFlatnessNormalized !== undefined) {
    rows.push({
      measure: `relative flatness κ, authors' protocol: features at unit std${s.relativeFlatnessDecay ? `, + 2α‖w̃_s‖² with α = ${s.relativeFlatnessDecay}` : ''} (95 % interval)`,
      value: withBounds(s.relativeFlatnessNormalized, s.relativeFlatnessNormalizedInterval),
    });
  }
  for (const l of s.perLayer) {
    rows.push({ measure: `λmax of layer ${l.layer + 1}'s block (${l.params} parameters)`, value: `${f(l.lambdaMax)} (${state(l.converged)})` });
  }
  return rows;
}

/** The Gauss–Newton matrix's λmax and trace beside the Hessian's, and the gap between the two λmax. */
function gaussNewtonRows(s: Sharpness): SharpnessRow[] {
  const g = s.ggn;
  if (!g) return [];
  const gap = s.lambdaMax - g.lambdaMax;
  return [
    { measure: 'Gauss–Newton λmax', value: `${f(g.lambdaMax, 6)} (${state(g.lambdaConverged)}, relative residual ${g.lambdaResidual.toExponential(2)}; ${g.solvers.lambdaMax})` },
    { measure: 'λmax − Gauss–Newton λmax', value: `${f(gap)} (${f((100 * gap) / s.lambdaMax, 3)} % of λmax)` },
    { measure: 'Gauss–Newton trace (95 % interval)', value: `${withBounds(g.trace, g.traceInterval)} (${g.solvers.trace})` },
  ];
}

/** The rows as "measure: value" lines, for the command line. */
export function sharpnessLines(s: Sharpness): string[] {
  return sharpnessRows(s).map((r) => `${r.measure}: ${r.value}`);
}
