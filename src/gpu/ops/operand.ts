/**
 * Buffers as kernels see them: a GPU buffer (or Tensor) plus an element offset. Shape checks
 * live here so every op reports a mismatch the same way, naming the op and the operand.
 */
import { ShapeError } from '../errors';
import { Tensor } from '../tensor';

export type BufferLike = GPUBuffer | Tensor;

export function gpuBuffer(b: BufferLike): GPUBuffer {
  return b instanceof Tensor ? b.buffer : b;
}

/** Elements a buffer can hold (f32/u32 words). */
export function capacity(b: BufferLike): number {
  return b instanceof Tensor ? b.size : Math.floor(b.size / 4);
}

/** Throws unless [offset, offset + extent) fits in the buffer. */
export function checkExtent(op: string, name: string, b: BufferLike, offset: number, extent: number): void {
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(`${op}: ${name} offset ${offset} must be a non-negative integer`);
  const cap = capacity(b);
  if (offset + extent > cap) {
    const label = b instanceof Tensor ? `'${b.label}' ` : '';
    throw new ShapeError(`${op}: ${name} ${label}needs elements [${offset}, ${offset + extent}) but holds ${cap}`);
  }
}

export function checkDims(op: string, dims: Record<string, number>): void {
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${op}: ${name} = ${v} must be a positive integer`);
  }
}
