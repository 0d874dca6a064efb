/**
 * Checkpoint format: everything needed to resume or re-probe a run in one file.
 *
 *   bytes 0..7   magic "HGCKPT1\n"
 *   bytes 8..11  header length H (u32, little-endian)
 *   next H bytes JSON header, UTF-8, padded with spaces to a multiple of 4
 *   then         the f32 arrays (little-endian), back to back, as listed in header.arrays
 *   last 4 bytes CRC-32 (u32, little-endian) of every byte before it
 *
 * Header: { format, version, step, model: MlpSpec, meta (training config, data split — any
 * JSON), arrays: [{ name, offset (bytes from the start of the array section), length }] }.
 * The arrays are "params" plus the optimiser state under its PyTorch names (momentum_buffer, exp_avg, exp_avg_sq).
 * Decoding verifies the checksum (an edited header or a flipped bit is an error, not different
 * numbers) and the consistency of widths, parameter count, activation and optimiser state; every
 * error names the file. Browser-safe: encode/decode work on bytes; checkpoint-file.ts does Node file IO.
 */
import type { MlpSpec } from '../autograd/mlp';
import { paramLayout } from '../autograd/layout';
import { ACTIVATIONS, isActivation } from '../vocabulary';
import { crc32 } from '../util/crc32';

const MAGIC = 'HGCKPT1\n';
/** 2: CRC-32 trailer. Version 1 files (no checksum) are refused: their integrity cannot be checked. */
const VERSION = 2;

export interface NamedArray {
  name: string;
  values: Float32Array;
}

export interface Checkpoint {
  step: number;
  model: MlpSpec;
  params: Float32Array;
  optimizerState: NamedArray[];
  meta: unknown;
}

interface Header {
  format: 'hessian-gpu-checkpoint';
  version: number;
  step: number;
  model: MlpSpec;
  meta: unknown;
  arrays: { name: string; offset: number; length: number }[];
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays = [{ name: 'params', values: c.params }, ...c.optimizerState];
  let offset = 0;
  const entries = arrays.map((a) => {
    const e = { name: a.name, offset, length: a.values.length };
    offset += a.values.length * 4;
    return e;
  });
  const header: Header = { format: 'hessian-gpu-checkpoint', version: VERSION, step: c.step, model: c.model, meta: c.meta, arrays: entries };
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - (new TextEncoder().encode(json).length % 4)) % 4);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(12 + headerBytes.length + offset + 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  const base = 12 + headerBytes.length;
  arrays.forEach((a, i) => {
    const view = new DataView(out.buffer, base + entries[i].offset, a.values.length * 4);
    a.values.forEach((v, j) => view.setFloat32(j * 4, v, true));
  });
  const body = out.length - 4;
  new DataView(out.buffer).setUint32(body, crc32(out.subarray(0, body)), true);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid checkpoint (${why}). Fix: point at a file written by this engine's saveCheckpoint, or retrain.`);
  };
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    // A safetensors file opens with its header length, then '{'; an .npz is a zip ('PK').
    const foreign = bytes[8] === 0x7b ? 'a safetensors file' : bytes[0] === 0x50 && bytes[1] === 0x4b ? 'an .npz (zip) archive' : null;
    if (foreign) throw new Error(`${source}: this is ${foreign}, not a checkpoint of this engine. Fix: probe it with --weights ${source} (a model saved elsewhere).`);
    fail('wrong magic bytes');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) fail(`header of ${headerLength} bytes runs past the end of the ${bytes.length}-byte file (truncated?)`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    return fail('header is not JSON');
  }
  if (header.format !== 'hessian-gpu-checkpoint') fail(`format is '${header.format}'`);
  if (header.version !== VERSION) fail(`version ${header.version}, this engine reads version ${VERSION}`);
  const body = bytes.length - 4;
  const stored = view.getUint32(body, true);
  const actual = crc32(bytes.subarray(0, body));
  if (stored !== actual) {
    fail(`checksum mismatch: stored ${hex(stored)}, computed ${hex(actual)} — the file was corrupted, truncated or edited`);
  }
  const base = 12 + headerLength;
  const arrays: NamedArray[] = header.arrays.map((a) => {
    const end = base + a.offset + a.length * 4;
    if (end > body) fail(`array '${a.name}' ends at byte ${end} but the payload ends at ${body} (truncated?)`);
    const values = new Float32Array(a.length);
    for (let j = 0; j < a.length; j++) values[j] = view.getFloat32(base + a.offset + j * 4, true);
    return { name: a.name, values };
  });
  const last = header.arrays.at(-1);
  const expectedEnd = base + (last ? last.offset + last.length * 4 : 0);
  if (expectedEnd !== body) fail(`${body - expectedEnd} unexpected trailing bytes`);
  const params = arrays.find((a) => a.name === 'params');
  if (!params) return fail("no 'params' array");
  checkConsistent(header, params.values.length, arrays, fail);
  // A checksum only proves the file is as written; a run saved after its numbers blew up is refused here, not as a NaN direction later.
  for (const a of arrays) {
    const i = a.values.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) fail(`array '${a.name}' holds ${a.values[i]} at index ${i}: the run it saved had diverged`);
  }
  return { step: header.step, model: header.model, params: params.values, optimizerState: arrays.filter((a) => a !== params), meta: header.meta };
}

/** Widths ↔ parameter count ↔ activation ↔ optimiser state: a checkpoint must describe one model. */
function checkConsistent(h: Header, paramCount: number, arrays: NamedArray[], fail: (why: string) => never): void {
  const widths = h.model?.widths;
  if (!Array.isArray(widths) || widths.length < 2 || !widths.every((w) => Number.isInteger(w) && w > 0)) {
    fail(`model.widths is ${JSON.stringify(widths)}; it must list at least two positive integer widths`);
  }
  if (!isActivation(h.model.activation)) fail(`model.activation is ${JSON.stringify(h.model.activation)}; valid values: ${ACTIVATIONS.join(', ')}`);
  const expected = paramLayout(widths).size;
  if (paramCount !== expected) fail(`'params' holds ${paramCount} values but widths [${widths.join(', ')}] have ${expected} parameters`);
  if (!Number.isInteger(h.step) || h.step < 0) fail(`step is ${JSON.stringify(h.step)}; it must be an integer ≥ 0`);
  const names = new Set<string>();
  for (const a of arrays) {
    if (names.has(a.name)) fail(`array '${a.name}' appears twice`);
    names.add(a.name);
    if (a.values.length !== paramCount) fail(`optimizer state '${a.name}' holds ${a.values.length} values for ${paramCount} parameters`);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
