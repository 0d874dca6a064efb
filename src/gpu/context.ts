/**
 * Gpu: the device plus everything that must exist once per device — the pipeline cache, the
 * bind-group-layout cache, the scratch pool, error tracking and the count of live GPU memory
 * (memory(): every buffer made through gpu.createBuffer, until it is destroyed). Ops and models
 * take a Gpu; they make buffers with createBuffer and record work with submit(encoder => …).
 */
import { DeviceLostError, LimitError, ShaderError } from './errors';
import { loadShader, type ShaderFile, type ShaderSource } from './shader-source';
import { BufferPool } from './pool';
import { checkContract, packUniform, type UniformLayout, type UniformValues } from './uniform';

export interface AdapterReport {
  runtime: 'browser' | 'node-dawn';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
  /** How the driver was chosen (software ICD name, or the user's VK_ICD_FILENAMES), if it was. */
  driver: string | null;
  features: string[];
  timestampQuery: boolean;
  limits: Record<string, number>;
}

/** How a kernel sees each binding, in binding order (all in group 0). */
export type BindingKind = 'uniform' | 'read' | 'storage';
export type Overrides = Record<string, number | boolean>;

/** A kernel family's contract with its WGSL, declared once per op file: its file, binding kinds and uniform struct. */
export interface KernelDescriptor {
  file: ShaderFile;
  bindings: readonly BindingKind[];
  /** The struct at its uniform binding (checked against the WGSL when the pipeline is built). */
  uniform?: UniformLayout;
}

export interface KernelSpec extends KernelDescriptor {
  entry: string;
  overrides?: Overrides;
}

export interface Kernel {
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** One prepared dispatch: bind group built once, encoded as often as needed. */
export interface Dispatch {
  kernel: Kernel;
  bindGroup: GPUBindGroup;
  grid: [number, number, number];
  /** Buffers made for this dispatch alone (its uniforms, scratch); freed by releaseDispatches. */
  owned: GPUBuffer[];
  /** Dispatches that complete this one (e.g. a split-K GEMM's reduction), encoded right after it in the same pass. */
  then?: Dispatch[];
  /** A GEMM's size, for the profile (src/bench/profile.ts): op(A) m×k times op(B) k×n, `products` such products summed (primal and tangent terms). */
  gemm?: { m: number; n: number; k: number; products: number; dual: boolean };
}

export function releaseDispatches(dispatches: Iterable<Dispatch>): void {
  for (const d of dispatches) {
    for (const b of d.owned.splice(0)) b.destroy();
    if (d.then) releaseDispatches(d.then);
  }
}

export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export class Gpu {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Promise<Kernel>>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private lostReason: string | null = null;
  private readonly placeholders = new Map<string, GPUBuffer>();
  private uncaptured: string[] = [];
  private readonly live = new Set<GPUBuffer>();
  private liveBytes = 0;
  private compiled = { pipelines: 0, ms: 0 };

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterReport,
    /** Dawn's instance: dropping it while the device lives crashes Node, so the Gpu holds it. */
    private readonly keepAlive: unknown,
  ) {
    this.pool = new BufferPool((descriptor) => this.createBuffer(descriptor));
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.lostReason = `${info.reason}: ${info.message}`;
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured.push(ev.error.message);
    };
  }

  /**
   * Pipelines compiled on this device and the wall time their compiles took (module, checks and
   * pipeline; overlapping compiles each count in full): the first-run cost a driver's shader cache
   * may or may not save.
   */
  compileCost(): { pipelines: number; seconds: number } {
    return { pipelines: this.compiled.pipelines, seconds: this.compiled.ms / 1000 };
  }

  /** GPU memory held by live buffers of this device (created and not yet destroyed). */
  memory(): { liveBytes: number; liveBuffers: number } {
    return { liveBytes: this.liveBytes, liveBuffers: this.live.size };
  }

  /**
   * A buffer of this device, counted in memory() until destroyed. Every allocation of the engine
   * (tensors, uniforms, pools, kernels' scratch) comes through here; the device itself is left as
   * the caller gave it, so buffers other code makes on it are theirs to count.
   */
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    this.live.add(buffer);
    this.liveBytes += buffer.size;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (this.live.delete(buffer)) this.liveBytes -= buffer.size;
      destroy();
    };
    return buffer;
  }

  /**
   * Record commands into one encoder and submit them as one command buffer — the one way the
   * engine submits work. A training step or solver iteration records all of its work in one call.
   * Device errors surface at the next read() or sync() (submit also runs in cleanup paths, where
   * raising an earlier step's error would hide the one being handled).
   */
  submit(record: (encoder: GPUCommandEncoder) => void): void {
    const encoder = this.device.createCommandEncoder();
    record(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** The pipeline for a kernel, compiled once per (file, entry, overrides, bindings). */
  kernel(spec: KernelSpec): Promise<Kernel> {
    const key = kernelKey(spec);
    let pending = this.pipelines.get(key);
    if (!pending) {
      pending = loadShader(spec.file).then((source) => this.compile(source, spec));
      this.pipelines.set(key, pending);
      pending.catch(() => this.pipelines.delete(key));
    }
    return pending;
  }

  /** Compile a kernel from a given source; compiler messages come back as a ShaderError with file:line:col. */
  async compile(source: ShaderSource, spec: KernelSpec): Promise<Kernel> {
    this.assertAlive();
    const started = performance.now();
    const where = `${spec.entry} in shaders/${source.file}`;
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: source.code, label: source.file });
    const info = await module.getCompilationInfo();
    const moduleError = await this.device.popErrorScope();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0 || moduleError) {
      const lines = errors.map((m) => {
        const at = source.locate(m.lineNum);
        return `  shaders/${at.file}:${at.line}:${m.linePos}: ${m.message}`;
      });
      throw new ShaderError(`WGSL compile error in ${where}:\n${lines.join('\n') || '  ' + moduleError?.message}`);
    }
    checkContract(where, source.code, spec.bindings, spec.uniform);
    const layout = this.bindGroupLayout(spec.bindings);
    this.device.pushErrorScope('validation');
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await this.device.createComputePipelineAsync({
        label: `${source.file}:${spec.entry}`,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: spec.entry, constants: toConstants(spec.overrides) },
      });
    } catch (err) {
      await this.device.popErrorScope();
      throw new ShaderError(`cannot build pipeline ${where} (overrides ${JSON.stringify(spec.overrides ?? {})}): ${(err as Error).message}`);
    }
    const pipelineError = await this.device.popErrorScope();
    if (pipelineError) {
      throw new ShaderError(`cannot build pipeline ${where} (overrides ${JSON.stringify(spec.overrides ?? {})}): ${pipelineError.message}`);
    }
    this.compiled.pipelines++;
    this.compiled.ms += performance.now() - started;
    return { spec, pipeline, layout };
  }

  private bindGroupLayout(bindings: readonly BindingKind[]): GPUBindGroupLayout {
    const key = bindings.join(',');
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        entries: bindings.map((kind, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
        })),
      });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /**
   * A dispatch with its bind group built now; `workgroups` is folded into a 2-D grid within device
   * limits. The dispatch owns the uniform buffers among `resources` and the `scratch` buffers —
   * also when it cannot be built, in which case they are destroyed before the error is raised.
   */
  dispatch(kernel: Kernel, resources: readonly BufferBinding[], workgroups: number, scratch: GPUBuffer[] = []): Dispatch {
    const uniforms = resources.filter((r): r is GPUBuffer => !('buffer' in r) && (r.usage & GPUBufferUsage.UNIFORM) !== 0);
    const owned = [...uniforms, ...scratch];
    try {
      if (resources.length !== kernel.spec.bindings.length) {
        throw new ShaderError(`${kernel.spec.entry} in shaders/${kernel.spec.file}: expected ${kernel.spec.bindings.length} bindings, got ${resources.length}`);
      }
      const grid = this.grid(workgroups);
      const bindGroup = this.device.createBindGroup({
        layout: kernel.layout,
        entries: resources.map((r, binding) => ({ binding, resource: 'buffer' in r ? r : { buffer: r } })),
      });
      return { kernel, bindGroup, grid, owned };
    } catch (err) {
      for (const b of owned) b.destroy();
      throw err;
    }
  }

  /** Fold a workgroup count over x and y; kernels rebuild the linear id as x + y·num_workgroups.x. */
  grid(workgroups: number): [number, number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    const n = Math.max(1, Math.ceil(workgroups));
    if (n <= max) return [n, 1, 1];
    const y = Math.ceil(n / max);
    if (y > max) throw new LimitError(`dispatch of ${n} workgroups exceeds ${max}² — split the work into smaller pieces`);
    return [Math.ceil(n / y), y, 1];
  }

  /** A uniform buffer holding `values`, packed by name in the layout's field order. */
  uniform<F extends string>(layout: UniformLayout<F>, values: UniformValues<F>, label = layout.struct): GPUBuffer {
    const data = packUniform(layout, values, label);
    const buffer = this.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** Rewrite a uniform made by uniform() with the same layout. */
  writeUniform<F extends string>(buffer: GPUBuffer, layout: UniformLayout<F>, values: UniformValues<F>): void {
    this.device.queue.writeBuffer(buffer, 0, packUniform(layout, values, buffer.label || layout.struct));
  }

  /**
   * Tiny buffers bound where a kernel variant ignores a binding (a fixed bind-group layout per
   * family keeps one layout for all variants). A writable binding may not share its buffer with
   * any other binding of the dispatch, so unused writable slots take distinct indices.
   */
  placeholder(kind: 'read' | 'write', index = 0): GPUBuffer {
    const key = `${kind}:${index}`;
    let buffer = this.placeholders.get(key);
    if (!buffer) {
      buffer = this.createBuffer({ label: `placeholder:${key}`, size: 16, usage: GPUBufferUsage.STORAGE });
      this.placeholders.set(key, buffer);
    }
    return buffer;
  }

  /** Record dispatches into one compute pass. */
  encode(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[], timestampWrites?: GPUComputePassTimestampWrites): void {
    const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    const record = (d: Dispatch) => {
      pass.setPipeline(d.kernel.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
      d.then?.forEach(record);
    };
    dispatches.forEach(record);
    pass.end();
  }

  /** Encode and submit dispatches as one command buffer. */
  run(dispatches: readonly Dispatch[]): void {
    this.assertAlive();
    this.submit((encoder) => this.encode(encoder, dispatches));
  }

  /** Wait for submitted work and raise any error the device reported meanwhile. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.assertAlive();
  }

  /** Copy a buffer range back to the host (a float view by default). */
  async read(buffer: GPUBuffer, byteOffset = 0, byteLength = buffer.size - byteOffset): Promise<ArrayBuffer> {
    this.assertAlive();
    const size = align4(byteLength);
    const staging = this.pool.acquire(size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    this.submit((encoder) => encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, size));
    await staging.mapAsync(GPUMapMode.READ, 0, size);
    const copy = staging.getMappedRange(0, size).slice(0, byteLength);
    staging.unmap();
    this.pool.release(staging);
    this.assertAlive();
    return copy;
  }

  async readF32(buffer: GPUBuffer, offset = 0, count?: number): Promise<Float32Array> {
    const n = count ?? buffer.size / 4 - offset;
    return new Float32Array(await this.read(buffer, offset * 4, n * 4));
  }

  /** Throws if the device was lost or reported an error since the last check. */
  assertAlive(): void {
    if (this.lostReason) {
      throw new DeviceLostError(`the GPU device was lost (${this.lostReason}). Fix: acquire a new device and rebuild the model; check the driver if it repeats.`);
    }
    if (this.uncaptured.length > 0) {
      const messages = this.uncaptured.splice(0);
      throw new Error(`WebGPU reported ${messages.length} error(s): ${messages.join(' | ')}`);
    }
  }

  destroy(): void {
    this.pool.destroy();
    for (const b of this.placeholders.values()) b.destroy();
    this.device.destroy();
    void this.keepAlive;
  }

  /** `using x = …` frees it at the end of the scope, as destroy() does. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}

function kernelKey(spec: KernelSpec): string {
  const o = Object.entries(spec.overrides ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  // The uniform layout is part of the key: a pipeline checked against one layout says nothing of another.
  const u = spec.uniform ? `${spec.uniform.struct}{${spec.uniform.fields.map(([name, type]) => `${name}:${type}`).join(',')}}` : '';
  return `${spec.file}|${spec.entry}|${spec.bindings.join(',')}|${u}|${o.map(([k, v]) => `${k}=${Number(v)}`).join(',')}`;
}

function toConstants(overrides: Overrides | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(overrides ?? {}).map(([k, v]) => [k, Number(v)]));
}

export function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
