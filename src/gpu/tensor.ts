/**
 * Tensor: a GPU storage buffer with a shape and dtype. Sizes are checked against the device's
 * storage-binding limit when created, so an oversized request fails here with a clear message
 * instead of as an opaque validation error at dispatch time.
 */
import type { Gpu } from './context';
import { LimitError } from './errors';

export type DType = 'f32' | 'u32';
/** What a tensor reads back to the host: its dtype's typed array. */
export type HostArray = Float32Array | Uint32Array;

export interface TensorOptions {
  dtype?: DType;
  label?: string;
  data?: ArrayLike<number>;
  /** Initial value for every element (NaN is how tests poison outputs). */
  fill?: number;
}

export class Tensor {
  private isDestroyed = false;

  private constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly label: string,
  ) {}

  static create(gpu: Gpu, shape: readonly number[], options: TensorOptions = {}): Tensor {
    const dtype = options.dtype ?? 'f32';
    const label = options.label ?? `tensor[${shape.join('×')}]`;
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`tensor '${label}': bad shape [${shape.join(', ')}]`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = Math.max(4, count * 4);
    const limit = gpu.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new LimitError(
        `tensor '${label}' [${shape.join('×')}] needs ${bytes} bytes but this adapter's maxStorageBufferBindingSize is ` +
          `${limit} bytes (${gpu.adapter.description}). Fix: use a smaller batch/chunk size or split the data.`,
      );
    }
    const buffer = gpu.createBuffer({
      label,
      size: Math.ceil(bytes / 16) * 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const tensor = new Tensor(gpu, buffer, [...shape], dtype, label);
    if (options.data) tensor.write(options.data);
    else if (options.fill !== undefined) tensor.write(tensor.host(count).fill(options.fill));
    return tensor;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Upload host values at an element offset. */
  write(data: ArrayLike<number>, offset = 0): void {
    if (offset + data.length > this.size) {
      throw new Error(`tensor '${this.label}': writing ${data.length} values at ${offset} overruns its ${this.size} elements`);
    }
    const typed = data instanceof Float32Array || data instanceof Uint32Array ? data : this.host(data.length, data);
    if ((typed instanceof Float32Array) !== (this.dtype === 'f32')) {
      throw new Error(`tensor '${this.label}' is ${this.dtype}; got ${typed.constructor.name}`);
    }
    this.gpu.device.queue.writeBuffer(this.buffer, offset * 4, typed.buffer, typed.byteOffset, typed.byteLength);
  }

  async read(offset = 0, count = this.size - offset): Promise<HostArray> {
    const bytes = await this.gpu.read(this.buffer, offset * 4, count * 4);
    return this.dtype === 'f32' ? new Float32Array(bytes) : new Uint32Array(bytes);
  }

  /** True after destroy(): caches holding this tensor (Mlp's prepared passes) drop what refers to it. */
  get destroyed(): boolean {
    return this.isDestroyed;
  }

  destroy(): void {
    this.isDestroyed = true;
    this.buffer.destroy();
  }

  /** `using x = …` frees it at the end of the scope, as destroy() does. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  private host(count: number, from?: ArrayLike<number>): HostArray {
    const arr = this.dtype === 'f32' ? new Float32Array(count) : new Uint32Array(count);
    if (from) arr.set(from);
    return arr;
  }
}
