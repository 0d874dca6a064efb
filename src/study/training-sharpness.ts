/**
 * Edge-of-stability measures taken while a study run trains, at its λmax checks:
 *
 * - SGD: the mini-batch sharpness — λmax of the Hessian of the loss on one mini-batch of the run's
 *   batch size (a fresh seeded draw of the training set each check, gathered on the GPU by index,
 *   no upload) — against 2/η. The full-data λmax is the study's existing trace.
 * - Adam / AdamW: the preconditioned sharpness λmax(P⁻¹H) with Adam's own P at the current step
 *   (src/optim/preconditioner.ts), against (2 + 2β1)/((1 − β1)·η) = 38/η at β1 = 0.9 (Cohen et al.
 *   2022), on the study's during-training samples, warm-started from the previous check's vector.
 *
 * Coupled L2 (SGD's and Adam's weightDecay) is part of the loss the optimizer descends, so its wd·I
 * is included in these Hessians; AdamW's decoupled decay is not a loss term and is left out.
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { resolveOptimizerConfig, type Optimizer, type ResolvedOptimizerConfig } from '../optim/optimizer';
import { AdamPreconditioner } from '../optim/preconditioner';
import { hessianBlockOperator, type BlockOperator } from '../probe/block-operator';
import { preconditionedOperator } from '../probe/preconditioned';
import { topEigenpair } from '../probe/block-eigen';
import { Rng } from '../util/rng';
import type { TrainingMeasure } from './study-measure';
import type { RunConfig } from './config';
import { edgeDuringTrainingSection } from './eos-report';

export interface TrainingSharpnessPoint {
  step: number;
  /** SGD: λmax on one mini-batch. */
  minibatch?: number;
  /** Adam: λmax(P⁻¹H). */
  preconditioned?: number;
}

export interface TrainingSharpnessTrace {
  kind: 'minibatch' | 'preconditioned';
  /** 2/η (mini-batch) or (2 + 2β1)/((1 − β1)·η) (preconditioned). */
  threshold: number;
  points: TrainingSharpnessPoint[];
}

export interface TrainingSharpnessOptions {
  batchSize: number;
  seed: number;
  /** Power iterations of a cold start (every mini-batch check; the first preconditioned one). */
  maxIter: number;
  /** Power iterations of a preconditioned check warm-started from the previous check's eigenvector. */
  warmIters: number;
  tol: number;
  chunkSize: number;
}

export class TrainingSharpness {
  readonly trace: TrainingSharpnessTrace;
  private vector: Tensor | null = null;
  private preconditioner: AdamPreconditioner | null = null;
  private preconditioned: BlockOperator | null = null;
  private readonly rng: Rng;

  private constructor(
    config: ResolvedOptimizerConfig,
    private readonly hessian: BlockOperator,
    private readonly batch: { order: Tensor; trainCount: number } | null,
    private readonly o: TrainingSharpnessOptions,
  ) {
    this.rng = new Rng(o.seed + 0x5eed);
    const beta1 = config.kind === 'sgd' ? 0 : config.beta1;
    this.trace = {
      kind: batch ? 'minibatch' : 'preconditioned',
      threshold: batch ? 2 / config.lr : (2 + 2 * beta1) / ((1 - beta1) * config.lr),
      points: [],
    };
  }

  /** SGD measures on `train` (mini-batches), Adam on `during` (the study's during-training samples). */
  static async create(model: Mlp, config: ResolvedOptimizerConfig, train: GpuDataset, during: GpuDataset, o: TrainingSharpnessOptions): Promise<TrainingSharpness> {
    const coupled = config.kind !== 'adamw' && config.weightDecay > 0 ? { weightDecay: config.weightDecay, includeRegulariser: true } : {};
    if (config.kind === 'sgd') {
      const B = Math.min(o.batchSize, train.count);
      const order = Tensor.create(model.gpu, [B], { dtype: 'u32', label: 'minibatch-sharpness:order' });
      const inner = await hessianBlockOperator(model, train, 1, { order, count: B, chunkSize: B, ...coupled }).catch((err) => {
        order.destroy();
        throw err;
      });
      const op: BlockOperator = {
        ...inner,
        destroy: () => {
          inner.destroy();
          order.destroy();
        },
      };
      return new TrainingSharpness(config, op, { order, trainCount: train.count }, { ...o, batchSize: B });
    }
    return new TrainingSharpness(config, await hessianBlockOperator(model, during, 1, { chunkSize: o.chunkSize, ...coupled }), null, o);
  }

  /** Measure at this step (after the optimizer's last submitted step). */
  async check(step: number, optimizer: Optimizer): Promise<void> {
    if (this.batch) {
      const perm = this.rng.permutation(this.batch.trainCount);
      this.batch.order.write(Uint32Array.from(perm.subarray(0, this.o.batchSize)));
      // A new mini-batch is a new matrix: each check starts cold (from the previous vector, which is as good as random).
      const power = await topEigenpair(this.hessian, { maxIter: this.o.maxIter, tol: this.o.tol, seed: this.o.seed + step });
      power.vector.destroy();
      this.trace.points.push({ step, minibatch: power.eigenvalue });
      return;
    }
    if (!this.preconditioner) {
      this.preconditioner = await AdamPreconditioner.create(optimizer);
      this.preconditioned = await preconditionedOperator(this.hessian, this.preconditioner.inverseRoot);
    }
    this.preconditioner.update();
    const power = await topEigenpair(this.preconditioned!, {
      maxIter: this.vector ? this.o.warmIters : this.o.maxIter, tol: this.o.tol, seed: this.o.seed + step, start: this.vector ?? undefined,
    });
    this.vector?.destroy();
    this.vector = power.vector;
    this.trace.points.push({ step, preconditioned: power.eigenvalue });
  }

  destroy(): void {
    this.vector?.destroy();
    this.preconditioned?.destroy();
    this.preconditioner?.destroy();
    this.hessian.destroy();
  }
}

/** Whether a run's optimizer resolves to SGD (mini-batch sharpness) rather than Adam (preconditioned). */
const isSgd = (run: RunConfig) => resolveOptimizerConfig(run.optimizer).kind === 'sgd';

/** The mini-batch (SGD) or preconditioned (Adam) sharpness at the study's λmax checks, when eos.duringTraining is on. */
export const trainingSharpnessMeasure: TrainingMeasure = {
  name: 'training-sharpness',
  label: (run) => `${isSgd(run) ? 'mini-batch' : 'preconditioned'} λmax during training`,
  settings: ['eos.enabled', 'eos.duringTraining', 'eos.powerIters', 'probe.duringEvery', 'probe.duringMaxIter', 'probe.tol', 'probe.chunkSize', 'batchSize'],
  enabled: (config) => config.eos.enabled && config.eos.duringTraining && config.probe.duringEvery > 0,
  // Adam's preconditioned λmax warm-starts each check after the first with eos.powerIters products; SGD's mini-batch one starts cold on each batch.
  work: (config, run, checks) => {
    const p = config.probe;
    return isSgd(run)
      ? [{ stage: 'mini-batch λmax during training', pass: { kind: 'hvp', set: { batch: run.batchSize ?? config.batchSize } }, count: checks * p.duringMaxIter }]
      : [{ stage: 'preconditioned λmax during training', pass: { kind: 'hvp', set: 'during' }, count: p.duringMaxIter + (checks - 1) * config.eos.powerIters }];
  },
  start: async ({ model, config, run, seed, batchSize, trainData, duringData }) => {
    const p = config.probe;
    const s = await TrainingSharpness.create(model, resolveOptimizerConfig(run.optimizer), trainData, duringData,
      { batchSize, seed, maxIter: p.duringMaxIter, warmIters: config.eos.powerIters, tol: p.tol, chunkSize: p.chunkSize });
    return { check: (step, optimizer) => s.check(step, optimizer), result: () => ({ trainingSharpness: s.trace }), destroy: () => s.destroy() };
  },
  // After the full-batch edge of stability (order 60).
  section: { order: 70, render: edgeDuringTrainingSection },
};
