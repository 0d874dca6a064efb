/**
 * The Dinh rescaling check (Dinh, Pascanu, Bengio & Bengio 2017, "Sharp Minima Can Generalize For
 * Deep Nets"): one trained ReLU minimum, layer l scaled by α and layer l+1 by 1/α, is the same
 * function — checked here on the probe set's loss and accuracy — yet λmax and the trace move by up
 * to α², so "flat" in those terms is not a property of the function. The invariant measures
 * (invariant.ts) and the filter-normalised perturbation sharpness should not move. Browser-safe:
 * the study picks the minimum and loads it (rescaling-run.ts); the report section is here.
 *
 * Cost: the rescaled twin's λmax and top-k (block subspace iteration), deflated trace, perturbation and
 * invariant measures — about one run's curvature probe. The "before" column is the run's own
 * measurements when given (same parameters, settings and seeds), otherwise measured here too.
 */
import { Mlp } from '../autograd/mlp';
import { rescaleLayers, type Rescaling } from '../autograd/rescale';
import type { GpuDataset } from '../data/gpu-dataset';
import { hessianBlockOperator } from '../probe/block-operator';
import { perturbationSharpness } from '../probe/perturbation';
import { topAndTrace } from '../measures/block-solvers';
import { BLOCK_SIZE, type ProbeSettings } from '../measures/measure';
import { invariantSharpness, type InvariantSettings } from '../measures/invariant';
import type { RescalingResult, Sharpness, StudyResult } from './results';
import { mean, std } from '../util/stats';

/** Loss may move by this much relative (float32 rounding of the rescaled weights and of the mean over the set). */
const OUTPUT_RTOL = 1e-5;

type Measured = Pick<Sharpness, 'lambdaMax' | 'trace' | 'perturbationMean' | 'adaptiveAverage' | 'adaptiveWorst' | 'relativeFlatness'>;

const MEASURES: { name: string; key: keyof Measured; invariant: boolean }[] = [
  { name: 'λmax', key: 'lambdaMax', invariant: false },
  { name: 'trace', key: 'trace', invariant: false },
  { name: 'perturbation sharpness (filter-normalised)', key: 'perturbationMean', invariant: true },
  { name: 'adaptive sharpness (average)', key: 'adaptiveAverage', invariant: true },
  { name: 'adaptive sharpness (worst)', key: 'adaptiveWorst', invariant: true },
  { name: 'relative flatness', key: 'relativeFlatness', invariant: true },
];

export async function rescalingCheck(
  model: Mlp, data: GpuDataset, p: ProbeSettings & { invariant: InvariantSettings }, r: Rescaling, seed: number,
  before?: Measured,
): Promise<Omit<RescalingResult, 'configuration' | 'seed'>> {
  const t0 = performance.now();
  const scaled = rescaleLayers(await model.getParams(), model.layout, model.activation, r);
  const twin = await Mlp.create(model.gpu, model.spec);
  try {
    twin.setParams(scaled);
    const [l0, l1] = [await model.loss(data, { chunkSize: p.chunkSize }), await twin.loss(data, { chunkSize: p.chunkSize })];
    // One flipped prediction is allowed: a sample whose top two logits tie to float32 rounding.
    const hits = Math.round(Math.abs(l1.accuracy - l0.accuracy) * l0.count);
    if (!(Math.abs(l1.loss - l0.loss) <= OUTPUT_RTOL * Math.abs(l0.loss)) || hits > 1) {
      throw new Error(`rescaling layer ${r.layer} by ${r.alpha} changed the network's outputs (loss ${l0.loss} → ${l1.loss}, ` +
        `${hits} predictions flipped); the function should be unchanged, so the sharpness comparison would be meaningless`);
    }
    const was = before ?? await measure(model, data, p, seed);
    const now = await measure(twin, data, p, seed);
    return {
      layer: r.layer, alpha: r.alpha,
      loss: { before: l0.loss, after: l1.loss }, accuracy: { before: l0.accuracy, after: l1.accuracy },
      measures: MEASURES.filter((m) => was[m.key] !== undefined && now[m.key] !== undefined)
        .map((m) => ({ name: m.name, invariant: m.invariant, before: was[m.key]!, after: now[m.key]! })),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    twin.destroy();
  }
}

/** λmax, trace, perturbation and invariant measures with the study's settings and seed. */
async function measure(model: Mlp, data: GpuDataset, p: ProbeSettings & { invariant: InvariantSettings }, seed: number): Promise<Measured> {
  const chunkSize = p.chunkSize;
  const op = await hessianBlockOperator(model, data, p.blockSize ?? BLOCK_SIZE, { chunkSize });
  let curvature: Pick<Measured, 'lambdaMax' | 'trace'>;
  try {
    const { eig, trace } = await topAndTrace(op, p, seed);
    curvature = { lambdaMax: eig.groups[0].values[0], trace: trace.trace };
  } finally {
    op.destroy();
  }
  const perturbation = await perturbationSharpness(model, data, { ...p.perturbation, seed, chunkSize });
  return { ...curvature, perturbationMean: perturbation.meanIncrease, ...await invariantSharpness(model, data, p.invariant, seed, chunkSize) };
}

/** A measure counts as unmoved within this relative change (float32 probes of the same function). */
const UNMOVED = 1e-3;

/**
 * The report's section on the invariant measures: their per-configuration values, the citations,
 * and the rescaling check (nothing when neither ran).
 */
export function invariantSection(result: StudyResult): string[] {
  const probed = result.runs.filter((r) => !r.diverged && r.sharpness?.adaptiveAverage !== undefined);
  if (probed.length === 0 && !result.rescaling) return [];
  const inv = result.config.probe.invariant;
  const byConfig = new Map<string, Sharpness[]>();
  for (const r of probed) byConfig.set(r.configuration, [...(byConfig.get(r.configuration) ?? []), r.sharpness!]);
  const cell = (rows: Sharpness[], key: keyof Measured) => {
    const v = rows.map((x) => x[key]).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return v.length === 0 ? 'n/a' : v.length === 1 ? fmt(v[0]) : `${fmt(mean(v))} ± ${fmt(std(v))}`;
  };
  return [
    '## Sharpness that survives reparametrisation',
    '',
    'Adaptive sharpness (Kwon et al. 2021, ASAM; the measure Andriushchenko et al. 2023 study): the loss increase over perturbations ε ' +
      `measured in units of the weights, c = |θ| + ${inv.eta}: averaged over ${inv.samples} antithetic random directions moving each weight by ` +
      `~${inv.averageRho} of itself, and the worst case over ‖ε ⊘ c‖ ≤ ${inv.rho} by ${inv.steps} steps of projected gradient ascent ` +
      '(a lower bound on the maximum). Relative flatness (Petzka et al. 2021): κ = Σ ⟨w_s, w_s′⟩·Tr(H_{s,s′}) ' +
      `of the last layer, estimated without bias from ${inv.flatnessSamples} Hessian-vector probes (each run's 95 % bootstrap-t interval over its probes is in results.json). Both are ` +
      'unchanged by the layer rescalings that leave a ReLU network\'s function unchanged; λmax and the trace are not. Their rank correlations ' +
      'with generalisation are in the table above.',
    '',
    '| Configuration | adaptive (average) | adaptive (worst) | relative flatness |',
    '| --- | ---: | ---: | ---: |',
    ...[...byConfig].map(([name, rows]) => `| ${name} | ${cell(rows, 'adaptiveAverage')} | ${cell(rows, 'adaptiveWorst')} | ${cell(rows, 'relativeFlatness')} |`),
    '',
    ...rescalingLines(result.rescaling),
  ];
}

/** A relative change in percent, small ones in full rather than as a signed zero. */
function percent(x: number): string {
  return x === 0 || Math.abs(x) >= 1e-4 ? `${(100 * x).toFixed(2)} %` : `${(100 * x).toExponential(1)} %`;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3);
}

function rescalingLines(r: RescalingResult | undefined): string[] {
  if (!r) return [];
  const head = ['### The Dinh rescaling check', ''];
  if (r.error || !r.measures || !r.loss || !r.accuracy) return [...head, `The check did not run: ${r.error ?? 'no result'}.`, ''];
  const rel = (m: { before: number; after: number }) => (m.after - m.before) / Math.abs(m.before);
  const moved = r.measures.filter((m) => m.invariant && !(Math.abs(rel(m)) <= UNMOVED));
  return [
    ...head,
    `${r.configuration} seed ${r.seed}: layer ${r.layer}'s weights and bias × ${r.alpha}, layer ${r.layer + 1}'s weights × 1/${r.alpha} ` +
      '(Dinh et al. 2017). ReLU is positively homogeneous, so the network computes the same function: probe-set loss ' +
      `${fmt(r.loss.before)} → ${fmt(r.loss.after)}, accuracy ${(100 * r.accuracy.before).toFixed(2)}% → ${(100 * r.accuracy.after).toFixed(2)}%. ` +
      `"Before" is the run's own probe; the rescaled twin was measured with the same settings and seeds (${r.seconds?.toFixed(0)} s).`,
    '',
    '| Measure | before | after | change | expected |',
    '| --- | ---: | ---: | ---: | --- |',
    ...r.measures.map((m) => `| ${m.name} | ${fmt(m.before)} | ${fmt(m.after)} | ${percent(rel(m))} | ${m.invariant ? 'invariant' : 'moves'} |`),
    '',
    moved.length === 0
      ? `Every measure built to be invariant stayed within ${100 * UNMOVED} % (float32 probes of the same function), while λmax and the trace ` +
        'moved with the parametrisation alone: they describe the parametrisation as much as the minimum.'
      : `Expected invariant but moved by more than ${100 * UNMOVED} %: ${moved.map((m) => m.name).join(', ')} — treat their correlations with caution.`,
    '',
  ];
}
