/**
 * Optimizers as in-place WGSL kernels over the flat parameter buffer (shaders/optim.wgsl): SGD
 * (momentum, Nesterov, dampening, coupled weight decay), Adam (coupled L2) and AdamW (decoupled),
 * with PyTorch's semantics, so that a run can be checked against torch.optim step for step.
 *
 * The dispatch, its bind group and its uniform are built once. Each step rewrites the uniform
 * (lr and the step count t change) with queue.writeBuffer, which the queue executes before any
 * command buffer submitted after it — and after every one submitted before it. Hence the contract:
 *
 *   submit the command buffer holding a step before calling encodeStep again.
 *
 * Two steps recorded into one command buffer would both see the second step's uniform. Reusing an
 * encoder for a second step is caught; two encoders submitted together cannot be detected.
 */
import { releaseDispatches, type Dispatch, type Gpu, type KernelDescriptor } from '../gpu/context';
import { uniformLayout, type ValuesOf } from '../gpu/uniform';
import { ShapeError } from '../gpu/errors';
import { Tensor } from '../gpu/tensor';

export type OptimizerConfig =
  | { kind: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; dampening?: number; weightDecay?: number }
  | { kind: 'adam' | 'adamw'; lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

/** A validated config with every default filled in. */
export type ResolvedOptimizerConfig =
  | { kind: 'sgd'; lr: number; momentum: number; nesterov: boolean; dampening: number; weightDecay: number }
  | { kind: 'adam' | 'adamw'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };

import { OPTIMIZER_KINDS, OPTIMIZER_LABELS } from '../vocabulary';

export { OPTIMIZER_KINDS };

const FIELDS = {
  sgd: ['kind', 'lr', 'momentum', 'nesterov', 'dampening', 'weightDecay'],
  adam: ['kind', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
  adamw: ['kind', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
} as const;

/**
 * Validate a config and fill in PyTorch's defaults (Adam: lr 1e-3, β 0.9/0.999, ε 1e-8, wd 0;
 * AdamW: the same with wd 1e-2; SGD: no momentum, dampening or wd). Errors name the field and the
 * values it accepts.
 */
export function resolveOptimizerConfig(config: OptimizerConfig): ResolvedOptimizerConfig {
  const kind = (config as { kind?: unknown }).kind;
  if (kind !== 'sgd' && kind !== 'adam' && kind !== 'adamw') {
    throw new Error(`optimizer kind ${JSON.stringify(kind)} is unknown; valid kinds: ${OPTIMIZER_KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
  // A misspelt or misplaced option (beta1 on SGD) would otherwise be ignored without a word.
  const known: readonly string[] = FIELDS[kind];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new Error(`${kind}: unknown option '${key}'; valid options: ${known.join(', ')}`);
  }
  const c = config as Record<string, unknown>;
  const weightDecay = number(kind, 'weightDecay', c.weightDecay ?? (kind === 'adamw' ? 1e-2 : 0), 0, Infinity, 'a finite number ≥ 0');
  if (kind === 'sgd') {
    if (c.lr === undefined) throw new Error(`sgd: lr is required (a finite number ≥ 0)`);
    const lr = number(kind, 'lr', c.lr, 0, Infinity, 'a finite number ≥ 0');
    const momentum = number(kind, 'momentum', c.momentum ?? 0, 0, 1, 'a number in [0, 1)', true);
    const dampening = number(kind, 'dampening', c.dampening ?? 0, 0, 1, 'a number in [0, 1]');
    const nesterov = c.nesterov ?? false;
    if (typeof nesterov !== 'boolean') throw new Error(`sgd: nesterov = ${String(nesterov)} is invalid; valid values: true, false`);
    // PyTorch's rule: Nesterov's look-ahead is defined for undamped momentum only.
    if (nesterov && (momentum === 0 || dampening !== 0)) {
      throw new Error(`sgd: nesterov requires momentum > 0 and dampening = 0 (got momentum ${momentum}, dampening ${dampening})`);
    }
    return { kind, lr, momentum, nesterov, dampening, weightDecay };
  }
  return {
    kind,
    lr: number(kind, 'lr', c.lr ?? 1e-3, 0, Infinity, 'a finite number ≥ 0'),
    beta1: number(kind, 'beta1', c.beta1 ?? 0.9, 0, 1, 'a number in [0, 1)', true),
    beta2: number(kind, 'beta2', c.beta2 ?? 0.999, 0, 1, 'a number in [0, 1)', true),
    // ε > 0 keeps a parameter whose gradient has always been 0 at 0/ε = 0 instead of 0/0.
    eps: number(kind, 'eps', c.eps ?? 1e-8, Number.MIN_VALUE, Infinity, 'a finite number > 0'),
    weightDecay,
  };
}

function number(kind: string, field: string, value: unknown, min: number, max: number, valid: string, openMax = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (openMax ? value < max : value <= max);
  if (!ok) throw new Error(`${kind}: ${field} = ${String(value)} is invalid; valid values: ${valid}`);
  return value as number;
}

/** Named state buffers, as PyTorch names them in an optimizer's state_dict. */
export interface OptimizerStateEntry {
  name: string;
  values: Float32Array;
}

const STATE_NAMES = { sgd: ['momentum_buffer'], adam: ['exp_avg', 'exp_avg_sq'], adamw: ['exp_avg', 'exp_avg_sq'] } as const;

/** The names of the state buffers a config keeps (none for SGD without momentum). */
export function stateNames(config: ResolvedOptimizerConfig): readonly string[] {
  return config.kind === 'sgd' && config.momentum === 0 ? [] : STATE_NAMES[config.kind];
}

const PARAMS = uniformLayout('Params', {
  n: 'u32', first: 'u32', lr: 'f32', weight_decay: 'f32', momentum: 'f32', gain: 'f32', beta1: 'f32', one_minus_beta1: 'f32',
  beta2: 'f32', one_minus_beta2: 'f32', eps: 'f32', step_size: 'f32', inv_sqrt_bc2: 'f32', decay: 'f32',
});
const OPTIM = { file: 'optim.wgsl', bindings: ['uniform', 'read', 'storage', 'storage', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;
const WG = 256;

export class Optimizer {
  private steps = 0;
  private lastEncoder: GPUCommandEncoder | null = null;

  private constructor(
    private readonly gpu: Gpu,
    readonly config: ResolvedOptimizerConfig,
    readonly params: Tensor,
    private readonly states: Tensor[],
    private readonly uniform: GPUBuffer,
    private readonly dispatch: Dispatch,
  ) {}

  /** Prepare the step for `params` driven by `grad` (same size; the optimizer owns neither). */
  static async create(gpu: Gpu, config: OptimizerConfig, params: Tensor, grad: Tensor): Promise<Optimizer> {
    const cfg = resolveOptimizerConfig(config);
    const n = params.size;
    if (params.dtype !== 'f32' || grad.dtype !== 'f32') throw new ShapeError(`optimizer: params and grad must be f32 (got ${params.dtype}, ${grad.dtype})`);
    if (n < 1) throw new ShapeError(`optimizer: params '${params.label}' is empty`);
    if (grad.size !== n) throw new ShapeError(`optimizer: grad '${grad.label}' has ${grad.size} elements but params '${params.label}' has ${n}`);
    // WebGPU rejects a bind group where a writable binding aliases another binding.
    if (grad.buffer === params.buffer) throw new ShapeError(`optimizer: grad and params must be different buffers`);

    const kernel = await gpu.kernel(
      cfg.kind === 'sgd'
        ? { ...OPTIM, entry: 'sgd', overrides: { WG, MOMENTUM: cfg.momentum !== 0, NESTEROV: cfg.nesterov } }
        : { ...OPTIM, entry: 'adam', overrides: { WG, DECOUPLED: cfg.kind === 'adamw' } },
    );
    // Buffers after the pipeline, so a failed compile leaves nothing behind.
    const states = stateNames(cfg).map((name) => Tensor.create(gpu, [n], { fill: 0, label: `optim:${name}` }));
    try {
      const uniform = gpu.uniform(PARAMS, uniformFields(cfg, n, cfg.lr, 1), 'optim');
      const dispatch = gpu.dispatch(kernel, [
        uniform, grad.buffer, params.buffer,
        states[0]?.buffer ?? gpu.placeholder('write', 0), states[1]?.buffer ?? gpu.placeholder('write', 1),
      ], Math.ceil(n / WG));
      return new Optimizer(gpu, cfg, params, states, uniform, dispatch);
    } catch (err) {
      for (const t of states) t.destroy();
      throw err;
    }
  }

  /** Steps taken so far; the next step is number stepCount + 1 (Adam's t). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Record one step into `encoder` (its own compute pass) with learning rate `lr` (default: the
   * config's). The uniform is written now, so submit this encoder before the next encodeStep.
   */
  encodeStep(encoder: GPUCommandEncoder, lr: number = this.config.lr): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new Error(`${this.config.kind}: lr = ${lr} is invalid; valid values: a finite number ≥ 0`);
    if (encoder === this.lastEncoder) {
      throw new Error(`${this.config.kind}: two steps recorded into one command encoder would both use the second step's lr and t; submit each step's encoder before encoding the next`);
    }
    this.gpu.assertAlive();
    const t = this.steps + 1;
    this.gpu.writeUniform(this.uniform, PARAMS, uniformFields(this.config, this.params.size, lr, t));
    this.gpu.encode(encoder, [this.dispatch]);
    this.lastEncoder = encoder;
    this.steps = t;
  }

  /** Encode and submit one step on its own. */
  step(lr: number = this.config.lr): void {
    this.gpu.submit((encoder) => this.encodeStep(encoder, lr));
  }

  /** Copies of the state buffers (after all submitted steps), for checkpoints. */
  async state(): Promise<OptimizerStateEntry[]> {
    const names = stateNames(this.config);
    const out: OptimizerStateEntry[] = [];
    for (let i = 0; i < names.length; i++) out.push({ name: names[i], values: (await this.states[i].read()) as Float32Array });
    return out;
  }

  /**
   * The live GPU buffer of a state ('exp_avg_sq' …), for probes that read it in place (Adam's
   * preconditioner); undefined when this optimizer keeps no such state. Do not write or destroy it.
   */
  stateTensor(name: string): Tensor | undefined {
    const i = stateNames(this.config).indexOf(name);
    return i < 0 ? undefined : this.states[i];
  }

  /** Restore state() output and the step count it was taken at; the next step is then identical. */
  loadState(entries: readonly OptimizerStateEntry[], stepCount: number): void {
    const names = stateNames(this.config);
    const given = entries.map((e) => e.name);
    if (given.length !== names.length || names.some((name) => !given.includes(name))) {
      throw new Error(`${this.config.kind}: state has buffers [${given.join(', ')}] but this optimizer keeps [${names.join(', ')}]`);
    }
    if (!Number.isInteger(stepCount) || stepCount < 0) throw new Error(`${this.config.kind}: stepCount = ${stepCount} is invalid; valid values: an integer ≥ 0`);
    for (const e of entries) {
      if (e.values.length !== this.params.size) {
        throw new ShapeError(`${this.config.kind}: state '${e.name}' has ${e.values.length} values but params has ${this.params.size}`);
      }
    }
    for (const e of entries) this.states[names.indexOf(e.name)].write(e.values);
    this.steps = stepCount;
  }

  /** Free the state buffers and the uniform (params and grad belong to the caller). */
  destroy(): void {
    releaseDispatches([this.dispatch]);
    for (const s of this.states.splice(0)) s.destroy();
  }
}

/** The uniform in the order of `struct Params` in shaders/optim.wgsl; host-side float64 coefficients. */
function uniformFields(c: ResolvedOptimizerConfig, n: number, lr: number, t: number): ValuesOf<typeof PARAMS> {
  const sgd = c.kind === 'sgd';
  const beta1 = sgd ? 0 : c.beta1;
  const beta2 = sgd ? 0 : c.beta2;
  return {
    n,
    first: t === 1 ? 1 : 0,
    lr,
    weight_decay: c.weightDecay,
    momentum: sgd ? c.momentum : 0,
    gain: sgd ? 1 - c.dampening : 0,
    beta1,
    one_minus_beta1: 1 - beta1,
    beta2,
    one_minus_beta2: 1 - beta2,
    eps: sgd ? 0 : c.eps,
    step_size: sgd ? 0 : lr / (1 - beta1 ** t),
    inv_sqrt_bc2: sgd ? 0 : 1 / Math.sqrt(1 - beta2 ** t),
    decay: 1 - lr * c.weightDecay,
  };
}

/** An optimizer as results and reports name a run's: 'SGD (lr 0.1, momentum 0.9)' (the study's runs and the demo's alike). */
export function describeOptimizer(o: OptimizerConfig): string {
  const parts = [`lr ${o.lr ?? 1e-3}`];
  if (o.weightDecay) parts.push(`wd ${o.weightDecay}`);
  if (o.kind === 'sgd' && o.momentum) parts.push(`momentum ${o.momentum}`);
  return `${OPTIMIZER_LABELS[o.kind]} (${parts.join(', ')})`;
}
