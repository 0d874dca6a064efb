/**
 * Reuses GPU buffers by (usage, size bucket) so loops that need temporaries — readback staging,
 * scratch space — do not allocate on every step.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();

  constructor(private readonly create: (descriptor: GPUBufferDescriptor) => GPUBuffer) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = bucket(bytes);
    const list = this.free.get(key(size, usage));
    const reused = list?.pop();
    if (reused) return reused;
    const buffer = this.create({ size, usage, label: `pool:${size}` });
    this.owned.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.owned.has(buffer)) throw new Error('BufferPool.release: buffer did not come from this pool');
    const k = key(buffer.size, buffer.usage);
    const list = this.free.get(k) ?? [];
    list.push(buffer);
    this.free.set(k, list);
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.free.clear();
  }
}

/** Power-of-two buckets (min 256 B) bound the number of distinct sizes kept alive. */
function bucket(bytes: number): number {
  return Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
}

function key(size: number, usage: number): string {
  return `${usage}:${size}`;
}
