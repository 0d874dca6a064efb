/**
 * The numbers a probed minimum's measures write into its run (RunResult's sharpness, density, slice
 * and noise): the result types of src/measures, below the study that stores them (study/results.ts
 * re-exports them beside the run and study records).
 */
import type { NoiseResult } from './noise';

export type { NoiseResult } from './noise';

export interface Sharpness {
  lambdaMax: number;
  lambdaConverged: boolean;
  lambdaResidual: number;
  lambdaIterations: number;
  lambdaHvps: number;
  topK: number[];
  /** ‖Hy − θy‖ of each top-k Ritz vector, and whether each pair met the solver's tolerance. */
  topKResiduals: number[];
  topKConverged: boolean[];
  /**
   * Each pair's gap to its nearest neighbouring Ritz value exceeds its residual: false flags a
   * near-degenerate pair whose vector may mix the two eigenvectors (its value is still within the residual).
   */
  topKResolved: boolean[];
  /** λmax of each layer's diagonal Hessian block (weights and bias of that layer). */
  perLayer: { layer: number; params: number; lambdaMax: number; converged: boolean }[];
  /**
   * λmin by the negative-end solver (probe/lowest.ts): the smallest Ritz value, an upper bound on the
   * smallest eigenvalue, with an eigenvalue within lambdaMinResidual of it. Never a density Ritz value.
   */
  lambdaMin: number;
  lambdaMinResidual: number;
  lambdaMinConverged: boolean;
  /** Its gap to the next Ritz value exceeds its residual (a pair told apart from its neighbour). */
  lambdaMinResolved: boolean;
  /** The trace (deflated Hutchinson on the block path) with its 95 % bootstrap-t interval over probes. */
  trace: number;
  traceInterval: Bounds;
  /** Probes spent, top eigenpairs deflated exactly, and why the adaptive estimator stopped. */
  traceProbes: number;
  traceDeflated: number;
  traceStop: 'target' | 'budget' | 'fixed';
  /** SLQ runs (random start vectors) averaged in the density. */
  densityRuns: number;
  perturbationMean: number;
  /** 95 % bootstrap-t interval of perturbationMean over its random directions. */
  perturbationInterval: Bounds;
  perturbationMax: number;
  /** Adaptive sharpness (Kwon et al. 2021), when probe.invariant ran: mean increase over random ‖ε ⊘ |θ|‖ = ρ, with its interval. */
  adaptiveAverage?: number;
  adaptiveAverageInterval?: Bounds;
  /** Its worst case: the largest increase over the projected ascent's iterates (a lower bound on the max). */
  adaptiveWorst?: number;
  /** Relative flatness κ of the last layer (Petzka et al. 2021), Hutchinson-style estimate, and its 95 % bootstrap-t interval over probes. */
  relativeFlatness?: number;
  relativeFlatnessInterval?: Bounds;
  /**
   * κ in its authors' protocol (probe/relative-flatness.ts `normalise`): the last layer's input
   * features at unit standard deviation over the probe set, plus 2α Σ_s ‖w̃_s‖² with α =
   * relativeFlatnessDecay (the run's coupled weight decay; 0 when none or unknown). Invariant to
   * per-neuron rescaling as well as to whole-layer rescaling. Same probes and interval as κ's.
   */
  relativeFlatnessNormalized?: number;
  relativeFlatnessNormalizedInterval?: Bounds;
  relativeFlatnessDecay?: number;
  /** The gradient noise scale on the probe set (probe.noiseScale); absent when off or in results written before it was measured. */
  noiseScale?: NoiseScaleResult;
  /** The Gauss–Newton matrix's λmax and trace; absent in results written before they were measured. */
  ggn?: GaussNewtonSharpness;
  /** The solver behind each number, as the report and the CLI name it. */
  solvers: Solvers;
  /** 2/η for SGD (the edge-of-stability threshold), null for adaptive optimisers. */
  twoOverEta: number | null;
}

/**
 * λmax and trace of the generalised Gauss–Newton matrix G = Jᵀ·H_out·J (probe/block-operator.ts
 * ggnBlockOperator), by the Hessian's block solvers and budgets. G is positive semi-definite; H − G
 * holds the terms weighted by the loss gradient (and φ″), so λmax − ggn.lambdaMax shows how much of
 * the sharpness they carry.
 */
export interface GaussNewtonSharpness {
  lambdaMax: number;
  lambdaConverged: boolean;
  /** ‖Gy − θy‖ / |θ| of the top Ritz vector. */
  lambdaResidual: number;
  lambdaIterations: number;
  trace: number;
  traceInterval: Bounds;
  traceProbes: number;
  traceDeflated: number;
  traceStop: 'target' | 'budget';
  /** Gauss–Newton products spent (block rows counted), apart from the Hessian-vector products. */
  products: number;
  solvers: { lambdaMax: string; trace: string };
}

/** A 95 % interval of a stochastic estimate (NaN bounds when undefined: too few probes). */
export interface Bounds {
  low: number;
  high: number;
}

export interface Solvers {
  lambdaMax: string;
  topK: string;
  lambdaMin: string;
  trace: string;
  density: string;
}

/** A measurement that failed on a run (its message); the study went on. */
export interface RunFailure {
  stage: string;
  message: string;
}

/** What the measures of one minimum write: the run record's probed fields. */
export interface MeasuredParts {
  sharpness: Sharpness | null;
  density: { grid: number[]; density: number[] } | null;
  /** Loss along θ + α·v₁ (‖v₁‖ = 1), when probe.slice was given. */
  slice: { alphas: number[]; loss: number[] } | null;
  /** Gradient noise and stationary spread (probe.noise); absent when off. */
  noise?: NoiseResult | null;
}

/** What a study-report section of a measure reads of each run (the study's RunResult has these fields). */
export interface ProbedRun {
  configuration: string;
  seed: number;
  /** false: spent its budget above the loss target (measured on a slope); absent where no stopping rule applied. */
  converged?: boolean;
  diverged: unknown;
  sharpness: Sharpness | null;
  /** The noise measure's record (absent when it did not run). */
  noise?: NoiseResult | null;
}

/** A run record's measured fields before (or without) any measure. */
export const UNMEASURED: MeasuredParts = { sharpness: null, slice: null, density: null };

/**
 * The gradient noise scale B_simple = tr(Σ)/‖G‖² (McCandlish et al. 2018) of the probe set at the
 * minimum (probe/noise-scale.ts): the batch size at which a minibatch gradient's noise equals its
 * signal, beside the batch size the run trained with. Per layer too (layer 0 the first).
 */
export interface NoiseScaleResult {
  bSimple: number;
  /** 95 % bootstrap interval over samples (linearised; see probe/noise-scale.ts). */
  interval: Bounds;
  traceSigma: number;
  gradNormSq: number;
  samples: number;
  perLayer: { bSimple: number; traceSigma: number; gradNormSq: number }[];
  /** The batch size the run trained with (0 when unknown, e.g. imported weights). */
  batchSize: number;
}
