/**
 * The invariant measures' section of the study report, "Sharpness that survives reparametrisation":
 * what adaptive sharpness and relative flatness are, with the study's settings, and their values per
 * configuration over seeds. The Dinh rescaling check that tests them follows it as a section of its
 * own (study/rescaling.ts). Browser-safe.
 */
import { mean, std } from '../util/stats';
import type { ProbeSettings } from './measure';
import type { ProbedRun, Sharpness } from './results';

/** Four significant digits, or exponent notation far from 1 (the invariant measures span many decades). */
export function fourDigits(x: number): string {
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3);
}

type InvariantKey = 'adaptiveAverage' | 'adaptiveWorst' | 'relativeFlatness' | 'relativeFlatnessNormalized';

/** Mean ± standard deviation over a configuration's seeds, the value alone for one, n/a for none. */
function cell(rows: Sharpness[], key: InvariantKey): string {
  const v = rows.map((x) => x[key]).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? 'n/a' : v.length === 1 ? fourDigits(v[0]) : `${fourDigits(mean(v))} ± ${fourDigits(std(v))}`;
}

/** The section (nothing when no finished run has the invariant measures). */
export function invariantSection(runs: readonly ProbedRun[], settings: ProbeSettings): string[] {
  const probed = runs.filter((r) => !r.diverged && r.sharpness?.adaptiveAverage !== undefined);
  const inv = settings.invariant;
  if (probed.length === 0 || !inv) return [];
  const byConfig = new Map<string, Sharpness[]>();
  for (const r of probed) byConfig.set(r.configuration, [...(byConfig.get(r.configuration) ?? []), r.sharpness!]);
  return [
    '## Sharpness that survives reparametrisation',
    '',
    'Adaptive sharpness (Kwon et al. 2021, ASAM; the measure Andriushchenko et al. 2023 study): the loss increase over perturbations ε ' +
      `measured in units of the weights, c = |θ| + ${inv.eta}: averaged over ${inv.samples} antithetic random directions moving each weight by ` +
      `~${inv.averageRho} of itself, and the worst case over ‖ε ⊘ c‖ ≤ ${inv.rho} by ${inv.steps} steps of projected gradient ascent ` +
      '(a lower bound on the maximum). Relative flatness (Petzka et al. 2021): κ = Σ ⟨w_s, w_s′⟩·Tr(H_{s,s′}) ' +
      `of the last layer, estimated without bias from ${inv.flatnessSamples} Hessian-vector probes (each run's 95 % bootstrap-t interval over its probes is in results.json); ` +
      'and κ in its authors\' protocol: the same sum after the last layer\'s input features are scaled to unit standard deviation over the probe set ' +
      '(their columns of W scaled to match, the same function), plus 2α Σ‖w̃_s‖² for a run trained with coupled weight decay α, from the same probes. ' +
      'Adaptive sharpness and the authors\' κ are unchanged by every rescaling of neurons that leaves a ReLU network\'s function unchanged; plain κ only ' +
      'by whole-layer ones; λmax and the trace by neither. Their rank correlations with generalisation are in the table above.',
    '',
    '| Configuration | adaptive (average) | adaptive (worst) | relative flatness | relative flatness (authors\' protocol) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...[...byConfig].map(([name, rows]) => `| ${name} | ${cell(rows, 'adaptiveAverage')} | ${cell(rows, 'adaptiveWorst')} | ${cell(rows, 'relativeFlatness')} | ` +
      `${cell(rows, 'relativeFlatnessNormalized')} |`),
    '',
  ];
}
