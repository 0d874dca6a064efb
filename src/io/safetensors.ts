/**
 * safetensors, the tensor file of PyTorch and the Hugging Face libraries: an unsigned 64-bit
 * little-endian header length N, N bytes of UTF-8 JSON
 *   { "name": { "dtype": "F32", "shape": [out, in], "data_offsets": [begin, end] }, …, "__metadata__": { str: str } }
 * then the data buffer, little-endian, row-major, offsets relative to its start. The reader
 * enforces what the format's own library enforces — offsets inside the file, byte counts that
 * match shape × dtype, tensors that tile the buffer without overlap or gaps — and names the file
 * and tensor when it refuses. Browser-safe. The writer pads the header with spaces to a multiple
 * of 8 bytes (as the reference writer does), so every float32 array starts aligned.
 */
import { DTYPE_BYTES, elementCount, where, type DType, type RawTensor } from './tensor-file';

/** The reference implementation's cap on the header: a bigger one is a corrupt length field. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  tensors: RawTensor[];
  metadata: Record<string, string>;
}

export function readSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new Error(`${file}: ${bytes.length} bytes is too short for a safetensors file (it starts with an 8-byte header length).`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength === 0n || headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    // A file of another kind gives a 20-digit "length" from its first bytes: named by size, not printed.
    const length = headerLength > 2n ** 32n ? 'over 4 GiB' : `${headerLength} bytes`;
    throw new Error(`${file}: its first 8 bytes give a header length of ${length}, which does not fit the ${bytes.length}-byte file; ` +
      'this is not a safetensors file, or it is truncated.');
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new Error(`${file}: the ${n}-byte header is not valid UTF-8 JSON (${(err as Error).message}); the file is not safetensors or is corrupt.`);
  }
  if (!isRecord(header)) throw new Error(`${file}: the header is not a JSON object.`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { tensor: RawTensor; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
        throw new Error(`${file}: __metadata__ must map strings to strings.`);
      }
      Object.assign(metadata, value);
      continue;
    }
    const at = where(file, name);
    if (!isRecord(value)) throw new Error(`${at}: header entry is not an object.`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new Error(`${at}: dtype ${JSON.stringify(dtype)} is not supported; use one of ${Object.keys(DTYPE_BYTES).join(', ')}.`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${at}: shape ${JSON.stringify(shape)} is not a list of non-negative integers.`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new Error(`${at}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers.`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw new Error(`${at}: data_offsets [${begin}, ${end}] end before they begin.`);
    if (end > dataLength) {
      throw new Error(`${at}: data_offsets [${begin}, ${end}] reach outside the ${dataLength}-byte data buffer; the file is truncated or corrupt.`);
    }
    const expected = elementCount(shape) * DTYPE_BYTES[dtype as DType];
    if (end - begin !== expected) {
      throw new Error(`${at}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets give ${end - begin}; ` +
        'shape and dtype do not match the data.');
    }
    entries.push({
      tensor: { name, dtype: dtype as DType, shape, bytes: bytes.subarray(dataStart + begin, dataStart + end), littleEndian: true },
      begin, end,
    });
  }
  // The tensors must tile the buffer: sorted by offset, each starts where the previous one ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  for (let i = 0; i < sorted.length; i++) {
    const { tensor, begin } = sorted[i];
    if (begin < position) {
      throw new Error(`${where(file, tensor.name)}: data_offsets start at ${begin}, inside tensor '${sorted[i - 1].tensor.name}' ` +
        `(which ends at ${position}); tensors must not overlap.`);
    }
    if (begin > position) throw new Error(`${where(file, tensor.name)}: data_offsets start at ${begin}, leaving bytes ${position}..${begin} unused.`);
    position = sorted[i].end;
  }
  if (position !== dataLength) {
    throw new Error(`${file}: the tensors cover ${position} of the ${dataLength} data bytes; the file has trailing bytes or is corrupt.`);
  }
  return { tensors: entries.map((e) => e.tensor), metadata };
}

export interface Float32Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** float32 tensors, in the given order, as one safetensors file. */
export function writeSafetensors(tensors: Float32Tensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.data.length !== elementCount(t.shape)) {
      throw new Error(`writeSafetensors: '${t.name}' has ${t.data.length} values for shape [${t.shape.join(', ')}].`);
    }
    if (t.name in header) throw new Error(`writeSafetensors: duplicate tensor name '${t.name}'.`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += 4 * t.data.length;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
