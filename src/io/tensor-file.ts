/**
 * The raw tensors every file reader here produces (safetensors, .npy, .npz), and their conversion
 * to what the engine computes in: float32 for weights and features, small integers for labels.
 * Browser-safe (no Node imports). Data stays as the file's bytes until converted, so a reader
 * never copies a large array twice.
 */

/** Element types, named as safetensors names them (.npy descriptors are mapped onto these). */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

export const DTYPE_NAMES: Record<DType, string> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
};

export interface RawTensor {
  name: string;
  dtype: DType;
  shape: number[];
  /** Exactly count(shape) · DTYPE_BYTES[dtype] bytes. */
  bytes: Uint8Array;
  littleEndian: boolean;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** `file: tensor 'name'`, the prefix of every message about one tensor. */
export const where = (file: string, name: string): string => `${file}: tensor '${name}'`;

/** A float16 bit pattern as a number (exact: every float16 is a float32). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const BF16_BITS = new Uint32Array(1);
const BF16_VALUE = new Float32Array(BF16_BITS.buffer);

/** Every element as a number (int64 beyond 2^53 throws: it cannot be a label or a weight). */
function elements(t: RawTensor, file: string): ArrayLike<number> {
  const n = elementCount(t.shape);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const le = t.littleEndian;
  if (t.dtype === 'U8' || t.dtype === 'BOOL') return t.bytes;
  const bigToNumber = (v: bigint, i: number) => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`${where(file, t.name)}: element ${i} (${v}) is beyond 2^53.`);
    }
    return Number(v);
  };
  const out = new Float64Array(n);
  const get: (i: number) => number = {
    F64: (i: number) => view.getFloat64(8 * i, le),
    F32: (i: number) => view.getFloat32(4 * i, le),
    F16: (i: number) => halfToNumber(view.getUint16(2 * i, le)),
    // bfloat16 is the top half of a float32.
    BF16: (i: number) => {
      BF16_BITS[0] = view.getUint16(2 * i, le) << 16;
      return BF16_VALUE[0];
    },
    I64: (i: number) => bigToNumber(view.getBigInt64(8 * i, le), i),
    U64: (i: number) => bigToNumber(view.getBigUint64(8 * i, le), i),
    I32: (i: number) => view.getInt32(4 * i, le),
    U32: (i: number) => view.getUint32(4 * i, le),
    I16: (i: number) => view.getInt16(2 * i, le),
    U16: (i: number) => view.getUint16(2 * i, le),
    I8: (i: number) => view.getInt8(i),
  }[t.dtype];
  for (let i = 0; i < n; i++) out[i] = get(i);
  return out;
}

export interface Floats {
  data: Float32Array;
  /** Set when the values were changed by the conversion (float64 rounded to float32). */
  note?: string;
}

/**
 * A floating-point tensor as float32: float32 as is, float16/bfloat16 widened exactly, float64
 * rounded (with a note giving the largest relative change when any value moved). Integer
 * tensors are refused when `floatsOnly` (weights); otherwise they convert exactly below 2^24.
 */
export function toFloat32(t: RawTensor, file: string, { floatsOnly }: { floatsOnly: boolean }): Floats {
  const float = t.dtype === 'F64' || t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16';
  if (floatsOnly && !float) {
    throw new Error(`${where(file, t.name)} is ${DTYPE_NAMES[t.dtype]}; weights must be float32, float16, bfloat16 or float64.`);
  }
  // The common case without a per-element loop (slice() copies, so any file offset is fine).
  if (t.dtype === 'F32' && t.littleEndian) return { data: new Float32Array(t.bytes.slice().buffer) };
  const values = elements(t, file);
  const data = Float32Array.from(values);
  if (t.dtype !== 'F64') return { data };
  let worst = 0;
  for (let i = 0; i < data.length; i++) {
    const v = values[i];
    if (v !== data[i] && v !== 0 && Number.isFinite(v)) worst = Math.max(worst, Math.abs(data[i] - v) / Math.abs(v));
  }
  return worst > 0
    ? { data, note: `'${t.name}' is float64: rounded to float32 (largest relative change ${worst.toExponential(1)}).` }
    : { data };
}

/** Throws naming the tensor and the first index when any value is NaN or ±Infinity. */
export function requireFinite(data: Float32Array, file: string, name: string, shape: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`${where(file, name)} has ${data[i]} at flat index ${i} (shape [${shape.join(', ')}]); ` +
        'the weights must be finite (was the model saved after a diverged step?).');
    }
  }
}

/** Integer labels as numbers; refuses floats, negatives and values beyond 2^53. */
export function toLabels(t: RawTensor, file: string): ArrayLike<number> {
  if (t.dtype.startsWith('F') || t.dtype === 'BF16' || t.dtype === 'BOOL') {
    throw new Error(`${where(file, t.name)} is ${DTYPE_NAMES[t.dtype]}; labels must be an integer array (e.g. y.astype(np.int64)).`);
  }
  const values = elements(t, file);
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) throw new Error(`${where(file, t.name)}: label ${values[i]} at sample ${i} is negative; labels are class indices 0..C-1.`);
  }
  return values;
}
