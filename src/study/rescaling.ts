/**
 * The Dinh rescaling check (Dinh, Pascanu, Bengio & Bengio 2017, "Sharp Minima Can Generalize For
 * Deep Nets"): one trained ReLU minimum, rescaled twice without changing its function — the whole
 * layer l by α and layer l+1 by 1/α, and per neuron (neuron i of layer l by c_i, its outgoing
 * weights by 1/c_i, the c_i log-uniform over [1/α, α] from the run's seed) — each checked on the
 * probe set's loss and accuracy. λmax and the trace move by up to α², so "flat" in those terms is
 * not a property of the function. The invariant measures (invariant.ts) should not move; plain κ
 * and the filter-normalised perturbation sharpness survive the whole-layer rescaling only, κ in its
 * authors' protocol and adaptive sharpness both. Browser-safe: the study picks the minimum and
 * loads it (rescaling-run.ts); the check's report section is here.
 *
 * Cost: each rescaled twin's λmax and top-k (block subspace iteration), deflated trace, perturbation
 * and invariant measures — about two runs' curvature probes. The "before" column is the run's own
 * measurements when given (same parameters, settings and seeds), otherwise measured here too.
 */
import { Mlp } from '../autograd/mlp';
import { neuronFactors, rescaleLayers, rescaleNeurons, type Rescaling } from '../autograd/rescale';
import type { GpuDataset } from '../data/gpu-dataset';
import { hessianBlockOperator } from '../probe/block-operator';
import { perturbationSharpness } from '../probe/perturbation';
import { topAndTrace } from '../measures/block-solvers';
import { BLOCK_SIZE, type ProbeSettings } from '../measures/measure';
import { invariantSharpness, type InvariantSettings } from '../measures/invariant';
import { fourDigits as fmt } from '../measures/invariant-report';
import type { RescalingResult, Sharpness, StudyResult } from './results';

/** The registry's measures (src/measures) whose numbers `measure` below takes on each rescaled model: the study's cost bound counts their passes. */
export const RESCALED_MEASURES: readonly string[] = ['lambda-max', 'trace', 'invariant'];

/** Loss may move by this much relative (float32 rounding of the rescaled weights and of the mean over the set). */
const OUTPUT_RTOL = 1e-5;

type Measured = Pick<Sharpness, 'lambdaMax' | 'trace' | 'perturbationMean' | 'adaptiveAverage' | 'adaptiveWorst' | 'relativeFlatness' | 'relativeFlatnessNormalized'>;

/**
 * Which rescaling each measure is built to survive. Plain κ reads the last layer and its input
 * features: a per-neuron rescaling of the layer that makes those features (layer L − 2) moves it,
 * one further down does not touch it.
 */
const MEASURES: { name: string; key: keyof Measured; invariant: boolean; perNeuron: (layer: number, layers: number) => boolean }[] = [
  { name: 'λmax', key: 'lambdaMax', invariant: false, perNeuron: () => false },
  { name: 'trace', key: 'trace', invariant: false, perNeuron: () => false },
  { name: 'perturbation sharpness (filter-normalised)', key: 'perturbationMean', invariant: true, perNeuron: () => false },
  { name: 'adaptive sharpness (average)', key: 'adaptiveAverage', invariant: true, perNeuron: () => true },
  { name: 'adaptive sharpness (worst)', key: 'adaptiveWorst', invariant: true, perNeuron: () => true },
  { name: 'relative flatness', key: 'relativeFlatness', invariant: true, perNeuron: (layer, layers) => layer !== layers - 2 },
  { name: "relative flatness (authors' protocol)", key: 'relativeFlatnessNormalized', invariant: true, perNeuron: () => true },
];

export async function rescalingCheck(
  model: Mlp, data: GpuDataset, p: ProbeSettings & { invariant: InvariantSettings }, r: Rescaling, seed: number,
  before?: Measured, decay = 0,
): Promise<Omit<RescalingResult, 'configuration' | 'seed'>> {
  const t0 = performance.now();
  const params = await model.getParams();
  const whole = rescaleLayers(params, model.layout, model.activation, r);
  const factors = neuronFactors(model.layout.layers[r.layer].outDim, r.alpha, seed);
  const perNeuron = rescaleNeurons(params, model.layout, model.activation, { layer: r.layer, factors });
  const twin = await Mlp.create(model.gpu, model.spec);
  try {
    const l0 = await model.loss(data, { chunkSize: p.chunkSize });
    /** The twin with `scaled` loaded, after checking that it computes the same function. */
    const load = async (scaled: Float32Array, what: string) => {
      twin.setParams(scaled);
      const l1 = await twin.loss(data, { chunkSize: p.chunkSize });
      // One flipped prediction is allowed: a sample whose top two logits tie to float32 rounding.
      const hits = Math.round(Math.abs(l1.accuracy - l0.accuracy) * l0.count);
      if (!(Math.abs(l1.loss - l0.loss) <= OUTPUT_RTOL * Math.abs(l0.loss)) || hits > 1) {
        throw new Error(`rescaling layer ${r.layer} ${what} changed the network's outputs (loss ${l0.loss} → ${l1.loss}, ` +
          `${hits} predictions flipped); the function should be unchanged, so the sharpness comparison would be meaningless`);
      }
      return l1;
    };
    const l1 = await load(whole, `by ${r.alpha}`);
    const now = await measure(twin, data, p, seed, decay);
    const l2 = await load(perNeuron, `per neuron (factors in [1/${r.alpha}, ${r.alpha}])`);
    const neuron = await measure(twin, data, p, seed, decay);
    const was = before ?? await measure(model, data, p, seed, decay);
    const L = model.layout.layers.length;
    return {
      layer: r.layer, alpha: r.alpha,
      loss: { before: l0.loss, after: l1.loss, neuronAfter: l2.loss }, accuracy: { before: l0.accuracy, after: l1.accuracy, neuronAfter: l2.accuracy },
      neuronFactors: { seed, min: Math.min(...factors), max: Math.max(...factors) },
      measures: MEASURES.filter((m) => was[m.key] !== undefined && now[m.key] !== undefined && neuron[m.key] !== undefined)
        .map((m) => ({
          name: m.name, invariant: m.invariant, before: was[m.key]!, after: now[m.key]!,
          neuronInvariant: m.perNeuron(r.layer, L), neuronAfter: neuron[m.key]!,
        })),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    twin.destroy();
  }
}

/** λmax, trace, perturbation and invariant measures with the study's settings and seed. */
async function measure(model: Mlp, data: GpuDataset, p: ProbeSettings & { invariant: InvariantSettings }, seed: number, decay: number): Promise<Measured> {
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
  return { ...curvature, perturbationMean: perturbation.meanIncrease, ...await invariantSharpness(model, data, p.invariant, seed, chunkSize, undefined, decay) };
}

/** A measure counts as unmoved within this relative change (float32 probes of the same function). */
const UNMOVED = 1e-3;

/** A relative change in percent, small ones in full rather than as a signed zero. */
function percent(x: number): string {
  return x === 0 || Math.abs(x) >= 1e-4 ? `${(100 * x).toFixed(2)} %` : `${(100 * x).toExponential(1)} %`;
}

/**
 * The check's section of the report, right after the invariant measures' (measures/invariant-report.ts):
 * each measure before and after each rescaling, and whether it survived (nothing when the check was off).
 */
export function rescalingSection(result: Pick<StudyResult, 'rescaling'>): string[] {
  const r = result.rescaling;
  if (!r) return [];
  const head = ['### The Dinh rescaling check', ''];
  if (r.error || !r.measures || !r.loss || !r.accuracy) return [...head, `The check did not run: ${r.error ?? 'no result'}.`, ''];
  const rel = (before: number, after: number) => (after - before) / Math.abs(before);
  const survives = (before: number, after: number) => Math.abs(rel(before, after)) <= UNMOVED;
  // Results written before the per-neuron rescaling carry the whole-layer columns only.
  const perNeuron = r.loss.neuronAfter !== undefined && r.accuracy.neuronAfter !== undefined && r.measures.every((m) => m.neuronAfter !== undefined);
  const moved = [
    ...r.measures.filter((m) => m.invariant && !survives(m.before, m.after)).map((m) => `${m.name} (whole layer)`),
    ...(perNeuron ? r.measures.filter((m) => m.neuronInvariant && !survives(m.before, m.neuronAfter!)).map((m) => `${m.name} (per neuron)`) : []),
  ];
  const built = (m: NonNullable<RescalingResult['measures']>[number]) =>
    m.invariant && m.neuronInvariant ? 'both' : m.invariant ? 'whole layer' : m.neuronInvariant ? 'per neuron' : 'neither';
  const yes = (before: number, after: number) => (survives(before, after) ? 'yes' : 'no');
  const loss = (after: number, accuracy: number) => `${fmt(r.loss!.before)} → ${fmt(after)}, accuracy ${(100 * r.accuracy!.before).toFixed(2)}% → ${(100 * accuracy).toFixed(2)}%`;
  const f = r.neuronFactors;
  return [
    ...head,
    `${r.configuration} seed ${r.seed}: layer ${r.layer}'s weights and bias × ${r.alpha}, layer ${r.layer + 1}'s weights × 1/${r.alpha} ` +
      `(Dinh et al. 2017)${perNeuron ? `, and separately per neuron: neuron i of layer ${r.layer} × c_i, its outgoing weights × 1/c_i, ` +
        `with c_i log-uniform over [1/${r.alpha}, ${r.alpha}]${f ? ` (seed ${f.seed}: ${f.min.toPrecision(3)} … ${f.max.toPrecision(3)})` : ''}` : ''}. ` +
      `ReLU is positively homogeneous, so the network computes the same function: probe-set loss ${loss(r.loss.after, r.accuracy.after)}` +
      `${perNeuron ? ` (whole layer), ${loss(r.loss.neuronAfter!, r.accuracy.neuronAfter!)} (per neuron)` : ''}. ` +
      `"Before" is the run's own probe; each rescaled twin was measured with the same settings and seeds (${r.seconds?.toFixed(0)} s). ` +
      `A measure survives a rescaling when it moved by at most ${100 * UNMOVED} % (float32 probes of the same function).`,
    '',
    ...(perNeuron
      ? [
        '| Measure | before | whole layer | change | survives | per neuron | change | survives | built to survive |',
        '| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |',
        ...r.measures.map((m) => `| ${m.name} | ${fmt(m.before)} | ${fmt(m.after)} | ${percent(rel(m.before, m.after))} | ${yes(m.before, m.after)} | ` +
          `${fmt(m.neuronAfter!)} | ${percent(rel(m.before, m.neuronAfter!))} | ${yes(m.before, m.neuronAfter!)} | ${built(m)} |`),
      ]
      : [
        '| Measure | before | after | change | expected |',
        '| --- | ---: | ---: | ---: | --- |',
        ...r.measures.map((m) => `| ${m.name} | ${fmt(m.before)} | ${fmt(m.after)} | ${percent(rel(m.before, m.after))} | ${m.invariant ? 'invariant' : 'moves'} |`),
      ]),
    '',
    moved.length === 0
      ? `Every measure survived each rescaling it is built to survive, while λmax and the trace moved with the parametrisation alone: ` +
        'they describe the parametrisation as much as the minimum.'
      : `Expected invariant but moved by more than ${100 * UNMOVED} %: ${moved.join(', ')} — treat their correlations with caution.`,
    '',
  ];
}
