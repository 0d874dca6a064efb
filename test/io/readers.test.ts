/**
 * The file readers on files written by PyTorch/NumPy (test/fixtures, made by make_fixtures.py) and
 * on malformed variants of them: every refusal names the file and the tensor. Host only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { exportMlpSafetensors, readMlpWeights } from '../../src/io/mlp-weights';
import { readNpy, readNpz } from '../../src/io/npy';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { readDataNpyPair, readDataNpz } from '../../src/io/array-data';
import { toFloat32 } from '../../src/io/tensor-file';
import { paramLayout } from '../../src/autograd/layout';
import { initParams } from '../../src/autograd/init';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** A safetensors file with this header (JSON-encoded as given) and `dataBytes` zero bytes of data. */
function rawSafetensors(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** One npy v1 file from a header literal and data bytes. */
function rawNpy(header: string, data: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(header.padEnd(118) + '\n');
  const out = new Uint8Array(10 + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(text, 10);
  out.set(data, 10 + text.length);
  return out;
}

const F32 = (shape: number[], begin: number) => ({ dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] });

describe('reading files written by PyTorch and NumPy', () => {
  it('nn.Sequential safetensors and the same state_dict saved by np.savez give the same 6-5-3 MLP, bit for bit', () => {
    const st = readMlpWeights(fixture('seq-6-5-3.safetensors'), 'seq-6-5-3.safetensors');
    const npz = readMlpWeights(fixture('seq-6-5-3.npz'), 'seq-6-5-3.npz');
    expect(st.widths).toEqual([6, 5, 3]);
    expect(st.layers.map((l) => [l.weight, l.bias])).toEqual([['0.weight', '0.bias'], ['2.weight', '2.bias']]);
    expect(st.format).toBe('safetensors');
    expect(npz.format).toBe('npz');
    expect(npz.widths).toEqual(st.widths);
    expect(Buffer.from(npz.params.buffer).equals(Buffer.from(st.params.buffer))).toBe(true);
    // Layout: W (out × in, row-major) then b, per layer — the .npz's raw arrays are the reference.
    const arrays = new Map(readNpz(fixture('seq-6-5-3.npz'), 'npz').map((t) => [t.name, toFloat32(t, 'npz', { floatsOnly: true }).data]));
    const layout = paramLayout(st.widths);
    expect(st.params.slice(layout.layers[1].weightOffset, layout.layers[1].biasOffset)).toEqual(arrays.get('2.weight'));
    expect(st.params.slice(layout.layers[0].biasOffset, layout.layers[1].weightOffset)).toEqual(arrays.get('0.bias'));
    expect(st.notes).toEqual([]);
  });

  it('fc1/fc2/fc3 names are ordered by their numbers; float16 and bfloat16 widen exactly, float64 rounds with a note', () => {
    const f16 = readMlpWeights(fixture('fc-6-8-7-3-f16.safetensors'), 'f16');
    const bf16 = readMlpWeights(fixture('fc-6-8-7-3-bf16.safetensors'), 'bf16');
    const f64 = readMlpWeights(fixture('fc-6-8-7-3-f64.safetensors'), 'f64.safetensors');
    for (const m of [f16, bf16, f64]) {
      expect(m.widths).toEqual([6, 8, 7, 3]);
      expect(m.layers.map((l) => l.weight)).toEqual(['fc1.weight', 'fc2.weight', 'fc3.weight']);
    }
    expect(f16.layers[0].dtype).toBe('F16');
    expect(bf16.layers[0].dtype).toBe('BF16');
    expect(f16.notes).toEqual([]);
    expect(bf16.notes).toEqual([]);
    // The same float32 weights saved at two precisions: bfloat16 keeps 8 significand bits, float16 11.
    let worstBf = 0;
    for (let i = 0; i < f16.params.length; i++) worstBf = Math.max(worstBf, Math.abs(bf16.params[i] - f16.params[i]) / Math.max(Math.abs(f16.params[i]), 1e-3));
    expect(worstBf).toBeGreaterThan(0);
    expect(worstBf).toBeLessThan(2 ** -7);
    expect(f64.notes).toHaveLength(6);
    expect(f64.notes[0]).toMatch(/is float64: rounded to float32 \(largest relative change \d/);
  });

  it('.npz data: float32 features used as stored, int64 labels; .npy pair: uint8 pixels mapped to p/255 (or standardised)', () => {
    const floats = readDataNpz(fixture('data-float.npz'), 'data-float.npz', { classes: 3 });
    expect(floats.kind).toBe('floats');
    if (floats.kind !== 'floats') return;
    expect([floats.count, floats.features, floats.classes]).toEqual([48, 6, 3]);
    expect(floats.description).toMatch(/used as stored/);
    const x = readNpz(fixture('data-float.npz'), 'd').find((t) => t.name === 'x')!;
    expect(floats.x).toEqual(toFloat32(x, 'd', { floatsOnly: false }).data);

    const pixels = readDataNpyPair(fixture('pixels.npy'), 'pixels.npy', fixture('labels.npy'), 'labels.npy');
    expect(pixels.kind).toBe('bytes');
    if (pixels.kind !== 'bytes') return;
    expect([pixels.dataset.count, pixels.dataset.rows, pixels.dataset.cols, pixels.dataset.classes]).toEqual([48, 2, 3, 3]);
    expect(pixels.normalisation).toEqual({ scale: 1 / 255, shift: 0 });
    const std = readDataNpyPair(fixture('pixels.npy'), 'p', fixture('labels.npy'), 'l', { standardise: { mean: 0.1307, std: 0.3081 } });
    expect(std.kind === 'bytes' && std.normalisation).toEqual({ scale: 1 / (255 * 0.3081), shift: -0.1307 / 0.3081 });
  });
});

describe('export', () => {
  it('our export reads back bit-exact, with nn.Sequential names, out × in shapes and the architecture in the metadata', () => {
    const widths = [7, 33, 1, 4];
    const params = initParams(widths, 'tanh', 3);
    const bytes = exportMlpSafetensors(widths, params, 'tanh');
    const file = readSafetensors(bytes, 'export');
    expect(file.tensors.map((t) => [t.name, t.shape])).toEqual([
      ['0.weight', [33, 7]], ['0.bias', [33]], ['2.weight', [1, 33]], ['2.bias', [1]], ['4.weight', [4, 1]], ['4.bias', [4]],
    ]);
    expect(file.metadata).toMatchObject({ format: 'pt', widths: '[7,33,1,4]', activation: 'tanh' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = readMlpWeights(bytes, 'export');
    expect(back.widths).toEqual(widths);
    expect(back.activation).toBe('tanh');
    expect(Buffer.from(back.params.buffer).equals(Buffer.from(params.buffer))).toBe(true);
  });
});

describe('malformed input is refused, naming the file and the tensor', () => {
  const good = () => readSafetensors(fixture('seq-6-5-3.safetensors'), 'x').tensors;
  const ok = rawSafetensors({ a: F32([2], 0), b: F32([3], 8) }, 20);

  it('safetensors structure', () => {
    expect(() => readSafetensors(ok, 'ok.safetensors')).not.toThrow();
    expect(() => readSafetensors(new Uint8Array(5), 'short.st')).toThrow(/short\.st: 5 bytes is too short/);
    const huge = ok.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(huge, 'len.st')).toThrow(/len\.st: its first 8 bytes give a header length of over 4 GiB, which does not fit the \d+-byte file/);
    const notJson = ok.slice();
    notJson[8] = 0x7e;
    expect(() => readSafetensors(notJson, 'json.st')).toThrow(/json\.st: the \d+-byte header is not valid UTF-8 JSON/);
    expect(() => readSafetensors(rawSafetensors({ a: F32([2], 0), b: F32([3], 8) }, 16), 'out.st'))
      .toThrow(/out\.st: tensor 'b': data_offsets \[8, 20\] reach outside the 16-byte data buffer/);
    expect(() => readSafetensors(rawSafetensors({ a: F32([2], 0), b: F32([3], 4) }, 16), 'overlap.st'))
      .toThrow(/overlap\.st: tensor 'b': data_offsets start at 4, inside tensor 'a'/);
    expect(() => readSafetensors(rawSafetensors({ a: F32([2], 0), b: F32([3], 12) }, 24), 'gap.st'))
      .toThrow(/gap\.st: tensor 'b': data_offsets start at 12, leaving bytes 8\.\.12 unused/);
    expect(() => readSafetensors(rawSafetensors({ a: F32([2], 0) }, 12), 'tail.st')).toThrow(/tail\.st: the tensors cover 8 of the 12 data bytes/);
    expect(() => readSafetensors(rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8), 'order.st'))
      .toThrow(/order\.st: tensor 'a': data_offsets \[8, 0\] end before they begin/);
    expect(() => readSafetensors(rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), 'shape.st'))
      .toThrow(/shape\.st: tensor 'a': shape \[3\] of F32 needs 12 bytes but data_offsets give 8/);
    expect(() => readSafetensors(rawSafetensors({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, 8), 'dtype.st'))
      .toThrow(/dtype\.st: tensor 'a': dtype "Q4" is not supported/);
  });

  it('MLP structure: missing bias, extra tensor, missing layer, unordered names, bad mapping, non-finite or integer weights', () => {
    const ts = good();
    const drop = (name: string) => ts.filter((t) => t.name !== name);
    const write = (tensors: typeof ts) => writeSafetensors(tensors.map((t) => ({ name: t.name, shape: t.shape, data: toFloat32(t, 'x', { floatsOnly: true }).data })));
    expect(() => readMlpWeights(write(drop('2.bias')), 'm.st')).toThrow(/m\.st: tensor '2\.bias' is missing: layer 2 \('2\.weight'\) has no bias/);
    const extra = [...ts, { ...ts[0], name: '1.running_mean' }];
    expect(() => readMlpWeights(write(extra), 'm.st')).toThrow(/m\.st: tensor '1\.running_mean' is neither a '…weight' nor a '…bias'/);
    const bn = [...ts, { ...ts[0], name: 'norm.weight' }];
    expect(() => readMlpWeights(write(bn), 'm.st')).toThrow(/m\.st: cannot order the layers: 'norm\.weight' carries no layer number/);
    expect(() => readMlpWeights(write(bn), 'm.st', [['0.weight', '0.bias'], ['2.weight', '2.bias']]))
      .toThrow(/m\.st: tensor 'norm\.weight' is not part of the MLP's layers/);
    expect(() => readMlpWeights(write(ts), 'm.st', [['0.weight', '0.bias'], ['4.weight', '4.bias']]))
      .toThrow(/m\.st: tensor '4\.weight' is named in the mapping but missing from the file/);
    // A 3-layer net without its middle layer: the first and last no longer chain.
    const three = readSafetensors(exportMlpSafetensors([6, 5, 4, 3], initParams([6, 5, 4, 3], 'relu', 0), 'relu'), 'y').tensors;
    expect(() => readMlpWeights(write(three.filter((t) => !t.name.startsWith('2.'))), 'gap.st'))
      .toThrow(/gap\.st: tensor '4\.weight' takes 4 inputs but layer 1 \('0\.weight'\) has 5 outputs/);
    const nan = ts.map((t) => ({ name: t.name, shape: t.shape, data: toFloat32(t, 'x', { floatsOnly: true }).data }));
    nan.find((t) => t.name === '2.weight')!.data[7] = NaN;
    expect(() => readMlpWeights(writeSafetensors(nan), 'nan.st')).toThrow(/nan\.st: tensor '2\.weight' has NaN at flat index 7 \(shape \[3, 5\]\)/);
    const wrongBias = rawSafetensors({ '0.weight': F32([2, 3], 0), '0.bias': F32([4], 24) }, 40);
    expect(() => readMlpWeights(wrongBias, 'b.st')).toThrow(/b\.st: tensor '0\.bias' has shape \[4\] but '0\.weight' has 2 outputs/);
    // A bias matching the weight's second axis: the weight is in × out, and is named as transposed rather than blaming the bias.
    const inByOut = rawSafetensors({ '0.weight': F32([2, 3], 0), '0.bias': F32([3], 24) }, 36);
    expect(() => readMlpWeights(inByOut, 'b.st')).toThrow(/b\.st: tensor '0\.weight' has shape \[2, 3\], which looks transposed/);
    const ints = rawSafetensors({ '0.weight': { dtype: 'I32', shape: [1, 1], data_offsets: [0, 4] }, '0.bias': { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, 8);
    expect(() => readMlpWeights(ints, 'i.st')).toThrow(/i\.st: tensor '0\.(weight|bias)' is int32; weights must be float32/);
    expect(() => readMlpWeights(fixture('labels.npy'), 'labels.npy')).toThrow(/labels\.npy: holds a single \.npy array/);
  });

  it('.npy / .npz structure and data arrays', () => {
    const f4 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    expect(readNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f4), 'a.npy').shape).toEqual([2, 2]);
    const bigEndian = new Uint8Array(16);
    [1, 2, 3, 4].forEach((v, i) => new DataView(bigEndian.buffer).setFloat32(4 * i, v, false));
    const be = readNpy(rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", bigEndian), 'be.npy');
    expect(toFloat32(be, 'be.npy', { floatsOnly: true }).data).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f4), 'a.npy', 'w'))
      .toThrow(/a\.npy: tensor 'w': shape \(3, 2\) of <f4 needs 24 data bytes but the array holds 16/);
    expect(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f4), 'a.npy'))
      .toThrow(/a\.npy: tensor 'array': is stored in Fortran order; save np\.ascontiguousarray/);
    expect(() => readNpy(rawNpy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", f4), 'o.npy'))
      .toThrow(/o\.npy: tensor 'array': NumPy dtype '\|O' is not supported/);
    expect(() => readNpy(f4, 'junk.npy')).toThrow(/junk\.npy: tensor 'array': not a \.npy array/);
    const zip = fixture('data-float.npz');
    expect(() => readNpz(zip.slice(0, 200), 'cut.npz')).toThrow(/cut\.npz: not a readable \.npz \(zip\) archive/);
    const members = (entries: Record<string, Uint8Array>) => zipSync(entries);
    const npy = (descr: string, shape: string, data: Uint8Array) => rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, data);
    const x = npy('<f4', '(2, 2)', f4);
    const y3 = npy('<i8', '(3,)', new Uint8Array(new BigInt64Array([0n, 1n, 2n]).buffer));
    expect(() => readDataNpz(members({ 'x.npy': x, 'y.npy': y3 }), 'n.npz')).toThrow(/n\.npz: tensor 'y' has 3 labels but 'x' in n\.npz has 2 samples/);
    const y2 = npy('<i8', '(2,)', new Uint8Array(new BigInt64Array([0n, 5n]).buffer));
    expect(() => readDataNpz(members({ 'x.npy': x, 'y.npy': y2 }), 'c.npz', { classes: 3 })).toThrow(/c\.npz: tensor 'y': label 5 at sample 1 is not below the model's 3 outputs/);
    const yf = npy('<f4', '(2,)', new Uint8Array(new Float32Array([0, 1]).buffer));
    expect(() => readDataNpz(members({ 'x.npy': x, 'y.npy': yf }), 'f.npz')).toThrow(/f\.npz: tensor 'y' is float32; labels must be an integer array/);
    const xInf = npy('<f4', '(2, 2)', new Uint8Array(new Float32Array([1, Infinity, 3, 4]).buffer));
    const y01 = npy('<i8', '(2,)', new Uint8Array(new BigInt64Array([0n, 1n]).buffer));
    expect(() => readDataNpz(members({ 'x.npy': xInf, 'y.npy': y01 }), 'inf.npz')).toThrow(/inf\.npz: tensor 'x': value Infinity at sample 0, feature 1/);
    expect(() => readDataNpz(members({ 'inputs2.npy': x, 'y.npy': y01 }), 'k.npz')).toThrow(/k\.npz: no features array named 'x' or 'X'.*it holds 'inputs2', 'y'/);
    expect(readDataNpz(members({ 'inputs2.npy': x, 'y.npy': y01 }), 'k.npz', { featuresKey: 'inputs2' }).kind).toBe('floats');
  });

  it('an .npz with two candidate arrays is refused, not picked by archive order; the arrays used are named', () => {
    const f4 = new Uint8Array(new Float32Array([0.1, 0.2, 0.3, 0.4]).buffer);
    const npy = (descr: string, shape: string, data: Uint8Array) => rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, data);
    const x = npy('<f4', '(2, 2)', f4);
    const y = npy('<i8', '(2,)', new Uint8Array(new BigInt64Array([0n, 1n]).buffer));
    expect(() => readDataNpz(zipSync({ 'features.npy': x, 'x.npy': x, 'y.npy': y }), 'two.npz'))
      .toThrow(/two\.npz: holds 2 arrays that could be the features \('x', 'features'\); save only one of them/);
    expect(() => readDataNpz(zipSync({ 'x.npy': x, 'labels.npy': y, 'y.npy': y }), 'two.npz'))
      .toThrow(/two\.npz: holds 2 arrays that could be the labels \('y', 'labels'\)/);
    const one = readDataNpz(zipSync({ 'features.npy': x, 'labels.npy': y }), 'd.npz');
    expect(one.description).toMatch(/^arrays 'features' \(features\) and 'labels' \(labels\) of d\.npz; float32 features used as stored/);
    expect(one.warnings).toEqual([]);
  });

  it('transposed weights are named as such; uint8 data for more than 256 classes says what to do', () => {
    const w = (name: string, shape: number[]) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) });
    // A 6-5-3 net saved in × out (Keras/NumPy style): W0 is 6 × 5 with a bias of 5.
    const transposed = writeSafetensors([w('0.weight', [6, 5]), w('0.bias', [5]), w('2.weight', [5, 3]), w('2.bias', [3])]);
    expect(() => readMlpWeights(transposed, 't.st')).toThrow(/t\.st: tensor '0\.weight' has shape \[6, 5\], which looks transposed: .*save W\.T/);
    const npy = (descr: string, shape: string, data: Uint8Array) => rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, data);
    const x = npy('|u1', '(2, 2)', new Uint8Array([0, 255, 3, 4]));
    const y = npy('<i8', '(2,)', new Uint8Array(new BigInt64Array([0n, 299n]).buffer));
    expect(() => readDataNpz(zipSync({ 'x.npy': x, 'y.npy': y }), 'many.npz', { classes: 300 }))
      .toThrow(/many\.npz: tensor 'x': uint8 pixel data is stored with byte labels, which hold at most 256 classes, but there are 300 .*save the features as float32/);
  });

  it('float features that look like unnormalised pixels are used as stored, with a warning saying how to normalise', () => {
    const npy = (descr: string, shape: string, data: Uint8Array) => rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`, data);
    const y = npy('<i8', '(2,)', new Uint8Array(new BigInt64Array([0n, 1n]).buffer));
    const raw = npy('<f4', '(2, 2)', new Uint8Array(new Float32Array([0, 255, 17, 3]).buffer));
    const d = readDataNpz(zipSync({ 'x.npy': raw, 'y.npy': y }), 'raw.npz');
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/raw\.npz: tensor 'x' \(float32\) has values up to 255: these look like unnormalised pixels.*save x \/ 255/);
    const u16 = npy('<u2', '(2, 2)', new Uint8Array(new Uint16Array([0, 40000, 17, 3]).buffer));
    expect(readDataNpz(zipSync({ 'x.npy': u16, 'y.npy': y }), 'u16.npz').warnings[0]).toMatch(/\(uint16\) has values up to 40000/);
    const fine = npy('<f4', '(2, 2)', new Uint8Array(new Float32Array([-2.5, 2.8, 0, 1]).buffer));
    expect(readDataNpz(zipSync({ 'x.npy': fine, 'y.npy': y }), 'ok.npz').warnings).toEqual([]);
  });
});
