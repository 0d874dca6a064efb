/**
 * Mlp: a multilayer perceptron whose parameters live in one flat GPU buffer, with its loss,
 * gradient and exact Hessian-vector product computed by the engine's WGSL kernels.
 *
 *   const model = await Mlp.create(gpu, { widths: [784, 128, 10], activation: 'relu', seed: 0 });
 *   const { loss, accuracy } = await model.loss(data);
 *   await model.gradient(data, g);            // g: model.vector()
 *   await model.hvp(data, v, hv);             // hv = H·v, forward-over-backward
 *   await model.hvpBlock(data, V, HV);        // k × P blocks: H·v_j for every row, one pass over the data
 *
 * Sharpness is about the data loss by default: the L2 term enters only with
 * { weightDecay, includeRegulariser: true }, and then exactly (wd·θ in the gradient, wd·v in H·v).
 * For loops (training, eigen-solvers) use preparePass() and encode the plan yourself.
 *
 * Memory: loss/gradient/hvp keep the pass they prepare for a (dataset, vectors) combination, so
 * repeated calls with the same tensors cost no allocation. The cache is bounded: a pass is released
 * when any tensor it uses is destroyed (checked on the next call) and beyond PLAN_CACHE_SIZE the
 * least recently used pass is released; releasePlans() drops them all. So fresh vectors per call
 * (`const v = model.vector(); …; v.destroy()`) keep GPU memory flat — gpu.memory() reports it.
 */
import type { Gpu } from '../gpu/context';
import { ShapeError } from '../gpu/errors';
import { Tensor } from '../gpu/tensor';
import type { GpuDataset } from '../data/gpu-dataset';
import { paramLayout, type ParamLayout } from './layout';
import { initParams } from './init';
import { ACTIVATIONS, isActivation, type Activation } from '../vocabulary';
import { PassPlan, SLOT, type PassOptions } from './pass';
import { BlockPassPlan, type BlockPassOptions } from './block-pass';

export interface MlpSpec {
  widths: number[];
  activation: Activation;
  seed?: number;
}

export interface EvalOptions {
  chunkSize?: number;
  weightDecay?: number;
  includeRegulariser?: boolean;
}

export interface LossResult {
  /** Mean data loss, plus ½·wd·‖θ‖² when the regulariser is included. */
  loss: number;
  dataLoss: number;
  accuracy: number;
  count: number;
}

/** Passes kept per model: a training/probe loop uses a handful (loss, gradient, HVP over one or two datasets). */
export const PLAN_CACHE_SIZE = 8;

export class Mlp {
  /** Prepared passes by key, in least-recently-used order (a Map iterates in insertion order). */
  private readonly plans = new Map<string, PassPlan>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  private constructor(
    readonly gpu: Gpu,
    readonly spec: MlpSpec,
    readonly layout: ParamLayout,
    readonly activation: Activation,
    readonly params: Tensor,
  ) {}

  static async create(gpu: Gpu, spec: MlpSpec): Promise<Mlp> {
    if (!isActivation(spec.activation)) {
      throw new Error(`activation '${spec.activation}' is not supported; use one of ${ACTIVATIONS.join(', ')}`);
    }
    const layout = paramLayout(spec.widths);
    const params = Tensor.create(gpu, [layout.size], {
      label: 'params', data: initParams(spec.widths, spec.activation, spec.seed ?? 0),
    });
    return new Mlp(gpu, spec, layout, spec.activation, params);
  }

  /** A zero vector in parameter space (gradient, direction, eigenvector, optimiser state). */
  vector(label = 'param-vector'): Tensor {
    return Tensor.create(this.gpu, [this.layout.size], { label, fill: 0 });
  }

  async getParams(): Promise<Float32Array> {
    return (await this.params.read()) as Float32Array;
  }

  setParams(values: ArrayLike<number>): void {
    if (values.length !== this.layout.size) {
      throw new ShapeError(`setParams: got ${values.length} values for ${this.layout.size} parameters`);
    }
    this.params.write(values);
  }

  /** Prepare a pass to encode repeatedly (the caller owns and destroys it). */
  preparePass(options: PassOptions): Promise<PassPlan> {
    return PassPlan.prepare(this, options);
  }

  async loss(data: GpuDataset, options: EvalOptions = {}): Promise<LossResult> {
    const plan = await this.cachedPlan({ kind: 'loss', data, ...options });
    return this.runAndRead(plan, data.count);
  }

  /** out ← ∇L(θ) over the whole dataset (chunked); returns the loss at θ as a by-product. */
  async gradient(data: GpuDataset, out: Tensor, options: EvalOptions = {}): Promise<LossResult> {
    const plan = await this.cachedPlan({ kind: 'gradient', data, gradient: out, ...options });
    return this.runAndRead(plan, data.count);
  }

  /**
   * out ← H·v over the whole dataset (chunked), exactly, by forward-over-backward. `tangentProducts`
   * picks the backward's form (default: the adapter's; both give H·v to float32 rounding).
   */
  async hvp(data: GpuDataset, v: Tensor, out: Tensor, options: EvalOptions & Pick<PassOptions, 'gradient' | 'tangentProducts'> = {}): Promise<LossResult> {
    const plan = await this.cachedPlan({ kind: 'hvp', data, direction: v, product: out, ...options });
    return this.runAndRead(plan, data.count);
  }

  /**
   * HV ← H·[v₁ … v_k] for the k rows of V (k × P; k from V's size unless given), in one pass over
   * the data (block-pass.ts). The plan is built per call and freed after it — its tangent buffers
   * are k times a single pass's — so loops should use prepareBlockPass() and encode it themselves.
   */
  async hvpBlock(data: GpuDataset, V: Tensor, HV: Tensor, options: EvalOptions & { k?: number } = {}): Promise<LossResult> {
    const plan = await this.prepareBlockPass({ data, directions: V, products: HV, ...options });
    try {
      this.gpu.submit((encoder) => plan.encode(encoder));
      return await this.readResult(plan, data.count);
    } finally {
      plan.destroy();
    }
  }

  /** Prepare a block (k-direction) HVP pass to encode repeatedly (the caller owns and destroys it). */
  prepareBlockPass(options: BlockPassOptions): Promise<BlockPassPlan> {
    return BlockPassPlan.prepare(this, options);
  }

  /** Read a pass's scalars after it ran. */
  async readResult(plan: { scalars: Tensor; options: EvalOptions }, count: number): Promise<LossResult> {
    const s = await plan.scalars.read();
    const wd = plan.options.includeRegulariser ? plan.options.weightDecay ?? 0 : 0;
    const dataLoss = s[SLOT.loss];
    return { loss: dataLoss + wd * s[SLOT.halfSqNorm], dataLoss, accuracy: s[SLOT.hits] / count, count };
  }

  /** Release every cached pass (their workspaces and uniforms); later calls prepare afresh. */
  releasePlans(): void {
    for (const plan of this.plans.values()) plan.destroy();
    this.plans.clear();
  }

  /** Number of cached passes (for tests of the cache bound). */
  get cachedPlans(): number {
    return this.plans.size;
  }

  destroy(): void {
    this.releasePlans();
    this.params.destroy();
  }

  /** `using x = …` frees it at the end of the scope, as destroy() does. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  private async runAndRead(plan: PassPlan, count: number): Promise<LossResult> {
    this.gpu.submit((encoder) => plan.encode(encoder));
    return this.readResult(plan, count);
  }

  private async cachedPlan(options: PassOptions): Promise<PassPlan> {
    const key = [
      options.kind, this.id(options.data), options.gradient && this.id(options.gradient),
      options.direction && this.id(options.direction), options.product && this.id(options.product),
      options.chunkSize ?? '', options.weightDecay ?? 0, !!options.includeRegulariser, options.tangentProducts ?? '',
    ].join('|');
    for (const [k, p] of this.plans) {
      if (usesDestroyed(p.options)) {
        p.destroy();
        this.plans.delete(k);
      }
    }
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key);
    } else {
      plan = await PassPlan.prepare(this, options);
      if (this.plans.size >= PLAN_CACHE_SIZE) {
        const [oldestKey, oldest] = this.plans.entries().next().value!;
        oldest.destroy();
        this.plans.delete(oldestKey);
      }
    }
    this.plans.set(key, plan);
    return plan;
  }

  private id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }
}

function usesDestroyed(o: PassOptions): boolean {
  return [o.data.pixels, o.data.labels, o.data.identity, o.order, o.gradient, o.direction, o.product].some((t) => t?.destroyed);
}
