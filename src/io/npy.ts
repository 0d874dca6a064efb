/**
 * NumPy's .npy (one array: magic "\x93NUMPY", version, header length, a Python-literal header
 * {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }, then the raw data) and .npz (a zip
 * of .npy files, as np.savez / np.savez_compressed write it; unzipped with fflate). Browser-safe.
 * C-order numeric arrays only: object arrays would need pickle, and Fortran order is refused with
 * the one-line fix rather than transposed silently.
 */
import { unzipSync } from 'fflate';
import { DTYPE_BYTES, elementCount, where, type DType, type RawTensor } from './tensor-file';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** NumPy kind + size → our dtype names. */
const KINDS: Record<string, DType> = {
  f8: 'F64', f4: 'F32', f2: 'F16', i8: 'I64', i4: 'I32', i2: 'I16', i1: 'I8', u8: 'U64', u4: 'U32', u2: 'U16', u1: 'U8', b1: 'BOOL',
};

export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** A zip's local-file signature "PK\x03\x04": an .npz. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** One .npy array; `name` labels it in messages (the member name inside an .npz, else the file). */
export function readNpy(bytes: Uint8Array, file: string, name = 'array'): RawTensor {
  const at = where(file, name);
  if (bytes.length < 10 || !isNpy(bytes)) throw new Error(`${at}: not a .npy array (no \\x93NUMPY magic).`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`${at}: truncated .npy header.`);
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new Error(`${at}: .npy format version ${major} is not supported (1, 2 and 3 are).`);
  }
  if (headerStart + headerLength > bytes.length) {
    throw new Error(`${at}: header length ${headerLength} runs past the end of the ${bytes.length}-byte array; the file is truncated.`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${at}: .npy header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape.`);
  }
  const order = descr[0];
  const dtype = KINDS[descr.slice(1)];
  if (!'<>|='.includes(order) || !dtype) {
    throw new Error(`${at}: NumPy dtype '${descr}' is not supported; save numeric arrays (float16/32/64, signed or unsigned integers, bool).`);
  }
  if (fortran === 'True') throw new Error(`${at}: is stored in Fortran order; save np.ascontiguousarray(a) instead.`);
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = parts.map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${at}: shape (${shapeText}) is not a tuple of integers.`);
  const dataStart = headerStart + headerLength;
  const expected = elementCount(shape) * DTYPE_BYTES[dtype];
  if (bytes.length - dataStart !== expected) {
    throw new Error(`${at}: shape (${shape.join(', ')}) of ${descr} needs ${expected} data bytes but the array holds ` +
      `${bytes.length - dataStart}; shape and dtype do not match the data (truncated or corrupt file).`);
  }
  return { name, dtype, shape, bytes: bytes.subarray(dataStart), littleEndian: order !== '>' };
}

/** Every array of an .npz, named as np.savez named them (the keyword, without '.npy'). */
export function readNpz(bytes: Uint8Array, file: string): RawTensor[] {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (err) {
    throw new Error(`${file}: not a readable .npz (zip) archive: ${(err as Error).message}.`);
  }
  const tensors: RawTensor[] = [];
  for (const [member, content] of Object.entries(members)) {
    if (!member.endsWith('.npy')) throw new Error(`${file}: member '${member}' is not a .npy array; an .npz holds only arrays.`);
    tensors.push(readNpy(content, file, member.slice(0, -4)));
  }
  if (tensors.length === 0) throw new Error(`${file}: the .npz archive holds no arrays.`);
  return tensors;
}
