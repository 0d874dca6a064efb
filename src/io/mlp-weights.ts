/**
 * An MLP's weights to and from named tensors, as PyTorch names them. Each layer is a pair
 * `<prefix>weight` (out × in) and `<prefix>bias` (out); the layers are ordered by the number in
 * their prefixes — `0.`, `2.`, `4.` as nn.Sequential(Linear, ReLU, Linear, …) saves them, `fc1.`,
 * `fc2.`, or `net.0.` — or by an explicit mapping. Everything in the file must be used, every
 * layer must fit the next, and every weight must be finite: a file that is not exactly an MLP is
 * refused with the tensor named, never probed half-read. Export writes the nn.Sequential names,
 * so `model.load_state_dict(safetensors.torch.load_file(path))` loads it. Browser-safe.
 */
import { paramLayout } from '../autograd/layout';
import { isNpy, isZip, readNpy, readNpz } from './npy';
import { readSafetensors, writeSafetensors, type Float32Tensor } from './safetensors';
import { DTYPE_NAMES, requireFinite, toFloat32, where, type DType, type RawTensor } from './tensor-file';

export interface ImportedLayer {
  weight: string;
  bias: string;
  inDim: number;
  outDim: number;
  dtype: DType;
}

export interface ImportedMlp {
  file: string;
  format: 'safetensors' | 'npz';
  /** The engine's MlpSpec widths, `[in, hidden…, out]`. */
  widths: number[];
  /** The engine's flat layout: per layer W (out × in, row-major) then b. */
  params: Float32Array;
  layers: ImportedLayer[];
  /** Precision notes (float64 rounded to float32), one per tensor that changed. */
  notes: string[];
  /** The activation recorded in the file's metadata (our exports record it), if any. */
  activation?: string;
}

/** Explicit layer order: one [weightName, biasName] pair per layer, input layer first. */
export type LayerMapping = [string, string][];

/** Reads a safetensors or .npz file of MLP weights (the format is told by its first bytes). */
export function readMlpWeights(bytes: Uint8Array, file: string, mapping?: LayerMapping): ImportedMlp {
  if (isZip(bytes)) return mlpFromTensors(readNpz(bytes, file), file, 'npz', mapping);
  if (isNpy(bytes)) {
    throw new Error(`${file}: holds a single .npy array (${readNpy(bytes, file).shape.join('×')}); ` +
      'an MLP needs all its weights and biases: save them together with np.savez or safetensors.');
  }
  const { tensors, metadata } = readSafetensors(bytes, file);
  const mlp = mlpFromTensors(tensors, file, 'safetensors', mapping);
  return metadata.activation ? { ...mlp, activation: metadata.activation } : mlp;
}

export function mlpFromTensors(tensors: RawTensor[], file: string, format: ImportedMlp['format'], mapping?: LayerMapping): ImportedMlp {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const pairs = mapping ? checkMapping(mapping, byName, file) : layerPairs(tensors, file);
  const used = new Set(pairs.flat());
  const extra = tensors.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (extra.length > 0) {
    throw new Error(`${file}: tensor${extra.length > 1 ? 's' : ''} ${extra.map((n) => `'${n}'`).join(', ')} ` +
      `${extra.length > 1 ? 'are' : 'is'} not part of the MLP's layers (${pairs.map((p) => p[0]).join(', ')}); ` +
      'save only the Linear layers, or pass an explicit mapping.');
  }
  const layers: ImportedLayer[] = [];
  for (const [l, [wName, bName]] of pairs.entries()) {
    const w = byName.get(wName);
    const b = byName.get(bName);
    if (!w) throw new Error(`${where(file, wName)} is missing (layer ${l + 1}'s weight).`);
    if (!b) throw new Error(`${where(file, bName)} is missing: layer ${l + 1} ('${wName}') has no bias; the engine's layers all have one.`);
    if (w.shape.length !== 2) throw new Error(`${where(file, wName)} has shape [${w.shape.join(', ')}]; a Linear weight is 2-D (out × in).`);
    const [outDim, inDim] = w.shape;
    if (b.shape.length === 1 && b.shape[0] === inDim && inDim !== outDim) {
      // Keras, JAX/Flax and hand-written NumPy nets store W as in × out; PyTorch (and this engine) as out × in.
      throw new Error(`${where(file, wName)} has shape [${w.shape.join(', ')}], which looks transposed: its bias '${bName}' has ${inDim} entries, ` +
        `so the layer has ${inDim} outputs and ${outDim} inputs. Weights must be out × in (PyTorch's nn.Linear); save W.T (e.g. np.savez(…, ${wName}=W.T)).`);
    }
    if (b.shape.length !== 1 || b.shape[0] !== outDim) {
      throw new Error(`${where(file, bName)} has shape [${b.shape.join(', ')}] but '${wName}' has ${outDim} outputs; expected [${outDim}].`);
    }
    const previous = layers.at(-1);
    if (previous && previous.outDim !== inDim) {
      throw new Error(`${where(file, wName)} takes ${inDim} inputs but layer ${l} ('${previous.weight}') has ${previous.outDim} outputs; ` +
        'the layers do not chain (wrong order or a missing layer: pass an explicit mapping).');
    }
    if (w.dtype !== b.dtype) {
      throw new Error(`${where(file, bName)} is ${DTYPE_NAMES[b.dtype]} but '${wName}' is ${DTYPE_NAMES[w.dtype]}; save one dtype per layer.`);
    }
    layers.push({ weight: wName, bias: bName, inDim, outDim, dtype: w.dtype });
  }
  const widths = [layers[0].inDim, ...layers.map((l) => l.outDim)];
  const layout = paramLayout(widths);
  const params = new Float32Array(layout.size);
  const notes: string[] = [];
  for (const [l, layer] of layers.entries()) {
    for (const [name, offset] of [[layer.weight, layout.layers[l].weightOffset], [layer.bias, layout.layers[l].biasOffset]] as const) {
      const t = byName.get(name)!;
      const { data, note } = toFloat32(t, file, { floatsOnly: true });
      requireFinite(data, file, name, t.shape);
      params.set(data, offset);
      if (note) notes.push(note);
    }
  }
  return { file, format, widths, params, layers, notes };
}

/** The (weight, bias) names in layer order, from the numbers in the names. */
function layerPairs(tensors: RawTensor[], file: string): LayerMapping {
  const prefixes: string[] = [];
  for (const t of tensors) {
    const m = /^(.*)(weight|bias)$/.exec(t.name);
    if (!m) {
      throw new Error(`${where(file, t.name)} is neither a '…weight' nor a '…bias'; this is not a plain MLP's state_dict ` +
        '(remove other tensors, or pass an explicit mapping).');
    }
    if (!prefixes.includes(m[1])) prefixes.push(m[1]);
  }
  if (prefixes.length === 0) throw new Error(`${file}: holds no tensors.`);
  const keyed = prefixes.map((prefix) => {
    const m = /^(.*?)(\d+)(\D*)$/.exec(prefix);
    return { prefix, pattern: m ? `${m[1]}#${m[3]}` : prefix, index: m ? Number(m[2]) : NaN };
  });
  const unnumbered = keyed.find((k) => Number.isNaN(k.index));
  if (prefixes.length > 1 && unnumbered) {
    throw new Error(`${file}: cannot order the layers: '${unnumbered.prefix}weight' carries no layer number ` +
      `(layers found: ${prefixes.map((p) => `'${p}'`).join(', ')}); pass an explicit mapping.`);
  }
  const patterns = new Set(keyed.map((k) => k.pattern));
  if (patterns.size > 1) {
    throw new Error(`${file}: the layer names follow different patterns (${prefixes.map((p) => `'${p}'`).join(', ')}); ` +
      'pass an explicit mapping to say which tensors form the MLP and in what order.');
  }
  keyed.sort((a, b) => a.index - b.index);
  for (let i = 1; i < keyed.length; i++) {
    if (keyed[i].index === keyed[i - 1].index) throw new Error(`${file}: two layers are numbered ${keyed[i].index}; pass an explicit mapping.`);
  }
  return keyed.map((k) => [`${k.prefix}weight`, `${k.prefix}bias`]);
}

function checkMapping(mapping: LayerMapping, byName: Map<string, RawTensor>, file: string): LayerMapping {
  if (!Array.isArray(mapping) || mapping.length === 0 || !mapping.every((p) => Array.isArray(p) && p.length === 2 && p.every((s) => typeof s === 'string'))) {
    throw new Error(`${file}: the layer mapping must be a non-empty list of [weightName, biasName] pairs, input layer first.`);
  }
  for (const name of mapping.flat()) {
    if (!byName.has(name)) throw new Error(`${where(file, name)} is named in the mapping but missing from the file (it has ${[...byName.keys()].join(', ')}).`);
  }
  return mapping;
}

/** nn.Sequential names for a flat parameter vector: Linear layers at 0, 2, 4, … (activations between). */
export function mlpTensors(widths: readonly number[], params: ArrayLike<number>): Float32Tensor[] {
  const layout = paramLayout(widths);
  if (params.length !== layout.size) {
    throw new Error(`export: ${params.length} parameters for widths [${widths.join(', ')}], which need ${layout.size}.`);
  }
  const flat = Float32Array.from(params);
  return layout.layers.flatMap((l, i) => [
    { name: `${2 * i}.weight`, shape: [l.outDim, l.inDim], data: flat.slice(l.weightOffset, l.weightOffset + l.outDim * l.inDim) },
    { name: `${2 * i}.bias`, shape: [l.outDim], data: flat.slice(l.biasOffset, l.biasOffset + l.outDim) },
  ]);
}

/** A safetensors file PyTorch loads into nn.Sequential(Linear, act, Linear, …); metadata records the architecture. */
export function exportMlpSafetensors(widths: readonly number[], params: ArrayLike<number>, activation: string): Uint8Array {
  return writeSafetensors(mlpTensors(widths, params), {
    format: 'pt', widths: JSON.stringify(widths), activation, producer: 'hessian-gpu',
  });
}

/** "fc1.weight,fc1.bias;fc2.weight,fc2.bias" → a LayerMapping (the CLI's --layers and the demo's field). */
export function parseLayerMapping(text: string): LayerMapping {
  const pairs = text.split(';').map((p) => p.split(',').map((s) => s.trim()));
  if (pairs.some((p) => p.length !== 2 || p.some((s) => s === ''))) {
    throw new Error(`layer mapping '${text}' must be 'weight,bias' pairs separated by ';', input layer first (e.g. fc1.weight,fc1.bias;fc2.weight,fc2.bias)`);
  }
  return pairs as LayerMapping;
}
