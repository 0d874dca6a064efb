/**
 * Features and labels from NumPy arrays (an .npz with both, or two .npy files), as the engine's
 * datasets. Normalisation, stated in `description`:
 *  - uint8 features stay bytes on the GPU (a Dataset, packed four per u32) and are mapped to
 *    x = p/255 (ToTensor's [0, 1]), or to (p/255 − mean)/std when given mean and std
 *    (transforms.Normalize after ToTensor);
 *  - float features (float16/32/64, and integers other than uint8) are used exactly as stored:
 *    normalise them before saving; values beyond ±PIXEL_LIKE (unnormalised pixels, most likely)
 *    are used too but come with a warning saying how to normalise.
 * Labels are integer class indices; the class count is the model's output width when known,
 * else max label + 1. Browser-safe.
 */
import type { Gpu } from '../gpu/context';
import { makeDataset, take, type Dataset } from '../data/dataset';
import { GpuDataset, type Normalisation } from '../data/gpu-dataset';
import { isNpy, isZip, readNpy, readNpz } from './npy';
import { DTYPE_NAMES, elementCount, toFloat32, toLabels, where, type RawTensor } from './tensor-file';

/**
 * What every ArrayData states about itself: the arrays used and how, and what looks wrong in them.
 * @inline
 */
interface About {
  /** E.g. "arrays 'x' (features) and 'y' (labels) of data.npz; uint8 features mapped to p/255 (range [0, 1])". */
  description: string;
  /** Said to the user in full (printed, recorded in results): the data is used, but probably not as meant. */
  warnings: string[];
}

export type ArrayData =
  | ({ kind: 'bytes'; dataset: Dataset; normalisation: Normalisation } & About)
  | ({ kind: 'floats'; name: string; count: number; features: number; classes: number; x: Float32Array; labels: Uint32Array } & About);

/** Float features larger than this in magnitude look like raw 0..255 pixels (normalised inputs sit within a few units). */
export const PIXEL_LIKE = 10;

export interface ArrayDataOptions {
  /** Array names inside an .npz (default: the first of x, X, features, images, inputs, data; y, Y, labels, targets, target). */
  featuresKey?: string;
  labelsKey?: string;
  /** The model's output width; labels must be below it. */
  classes?: number;
  /** For uint8 features: (p/255 − mean)/std instead of p/255. */
  standardise?: { mean: number; std: number };
}

const FEATURE_KEYS = ['x', 'X', 'features', 'images', 'inputs', 'data'];
const LABEL_KEYS = ['y', 'Y', 'labels', 'targets', 'target'];

/** An .npz holding features and labels. */
export function readDataNpz(bytes: Uint8Array, file: string, options: ArrayDataOptions = {}): ArrayData {
  if (!isZip(bytes)) throw new Error(`${file}: not an .npz archive; save features and labels with np.savez(path, x=…, y=…).`);
  const tensors = readNpz(bytes, file);
  const pick = (key: string | undefined, defaults: string[], what: string) => {
    const names = key ? [key] : defaults;
    const found = names.flatMap((n) => tensors.filter((t) => t.name === n));
    if (found.length === 0) {
      throw new Error(`${file}: no ${what} array named ${names.map((n) => `'${n}'`).join(' or ')} ` +
        `(it holds ${tensors.map((t) => `'${t.name}'`).join(', ')}); name the array to use.`);
    }
    if (found.length > 1) {
      // Which one the archive lists first says nothing about which one was meant.
      throw new Error(`${file}: holds ${found.length} arrays that could be the ${what} (${found.map((t) => `'${t.name}'`).join(', ')}); ` +
        `save only one of them, e.g. np.savez(path, x=…, y=…).`);
    }
    return found[0];
  };
  return dataFromArrays(pick(options.featuresKey, FEATURE_KEYS, 'features'), file, pick(options.labelsKey, LABEL_KEYS, 'labels'), file, options);
}

/** Two .npy files: features (N × …) and labels (N). */
export function readDataNpyPair(xBytes: Uint8Array, xFile: string, yBytes: Uint8Array, yFile: string, options: ArrayDataOptions = {}): ArrayData {
  for (const [b, f] of [[xBytes, xFile], [yBytes, yFile]] as const) {
    if (!isNpy(b)) throw new Error(`${f}: not a .npy array.`);
  }
  return dataFromArrays(readNpy(xBytes, xFile, 'features'), xFile, readNpy(yBytes, yFile, 'labels'), yFile, options);
}

export function dataFromArrays(x: RawTensor, xFile: string, y: RawTensor, yFile: string, options: ArrayDataOptions = {}): ArrayData {
  if (x.shape.length < 2) {
    throw new Error(`${where(xFile, x.name)} has shape [${x.shape.join(', ')}]; features need a sample axis first (N × D, or N × H × W).`);
  }
  const count = x.shape[0];
  const features = elementCount(x.shape.slice(1));
  if (y.shape.length === 0 || y.shape.length > 2 || (y.shape.length === 2 && y.shape[1] !== 1)) {
    throw new Error(`${where(yFile, y.name)} has shape [${y.shape.join(', ')}]; labels are one class index per sample (N,).`);
  }
  if (y.shape[0] !== count) {
    throw new Error(`${where(yFile, y.name)} has ${y.shape[0]} labels but '${x.name}' in ${xFile} has ${count} samples.`);
  }
  const labels = toLabels(y, yFile);
  let maxLabel = 0;
  for (let i = 0; i < labels.length; i++) maxLabel = Math.max(maxLabel, labels[i]);
  const classes = options.classes ?? maxLabel + 1;
  if (maxLabel >= classes) {
    const i = Array.prototype.findIndex.call(labels, (v: number) => v >= classes);
    throw new Error(`${where(yFile, y.name)}: label ${labels[i]} at sample ${i} is not below the model's ${classes} outputs.`);
  }
  const name = xFile.split(/[\\/]/).pop() ?? xFile;
  const yName = yFile.split(/[\\/]/).pop() ?? yFile;
  const arrays = xFile === yFile ? `arrays '${x.name}' (features) and '${y.name}' (labels) of ${name}` : `features ${name} and labels ${yName}`;
  if (x.dtype === 'U8' && classes > 256) {
    throw new Error(`${where(xFile, x.name)}: uint8 pixel data is stored with byte labels, which hold at most 256 classes, but there are ${classes} ` +
      `(${options.classes !== undefined ? "the model's outputs" : 'max label + 1'}). Fix: save the features as float32 (e.g. x / 255), which are used as stored.`);
  }
  if (x.dtype === 'U8') {
    const std = options.standardise;
    if (std && !(std.std > 0 && Number.isFinite(std.mean))) throw new Error(`normalisation: std must be > 0 and mean finite, got mean ${std.mean}, std ${std.std}.`);
    const normalisation = std ? { scale: 1 / (255 * std.std), shift: -std.mean / std.std } : { scale: 1 / 255, shift: 0 };
    const [rows, cols] = x.shape.length === 3 ? [x.shape[1], x.shape[2]] : [1, features];
    const dataset = makeDataset({ name, count, rows, cols, classes, pixels: x.bytes.slice(), labels: Uint8Array.from(labels) },
      { pixels: where(xFile, x.name), labels: where(yFile, y.name) });
    const mapping = std ? `uint8 features mapped to (p/255 − ${std.mean})/${std.std}` : 'uint8 features mapped to p/255 (range [0, 1])';
    return { kind: 'bytes', dataset, normalisation, description: `${arrays}; ${mapping}`, warnings: [] };
  }
  if (options.standardise) {
    throw new Error(`${where(xFile, x.name)} is ${DTYPE_NAMES[x.dtype]}: mean/std normalisation applies to uint8 pixels only; save float features already normalised.`);
  }
  const { data } = toFloat32(x, xFile, { floatsOnly: false });
  let largest = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`${where(xFile, x.name)}: value ${data[i]} at sample ${Math.floor(i / features)}, feature ${i % features}; features must be finite.`);
    }
    largest = Math.max(largest, Math.abs(data[i]));
  }
  const warnings = largest > PIXEL_LIKE
    ? [`${where(xFile, x.name)} (${DTYPE_NAMES[x.dtype]}) has values up to ${largest}: these look like unnormalised pixels, and they are used as stored. ` +
      'If the model was trained on normalised inputs, save x / 255 (ToTensor), or (x / 255 − mean) / std (Normalize), or save the pixels ' +
      'as uint8 and pass --normalise MEAN,STD.']
    : [];
  return {
    kind: 'floats', name, count, features, classes, x: data, labels: Uint32Array.from(labels),
    description: `${arrays}; ${DTYPE_NAMES[x.dtype]} features used as stored, no normalisation applied`, warnings,
  };
}

export const arrayDataCount = (d: ArrayData): number => (d.kind === 'bytes' ? d.dataset.count : d.count);
export const arrayDataFeatures = (d: ArrayData): number => (d.kind === 'bytes' ? d.dataset.features : d.features);

/** The first `count` samples (the configs' "0 = all"), like firstSamples for a Dataset. */
export function firstArraySamples(d: ArrayData, count: number): ArrayData {
  if (count <= 0 || count >= arrayDataCount(d)) return d;
  if (d.kind === 'bytes') return { ...d, dataset: take(d.dataset, count) };
  return { ...d, count, x: d.x.slice(0, count * d.features), labels: d.labels.slice(0, count) };
}

export function uploadArrayData(gpu: Gpu, d: ArrayData): GpuDataset {
  return d.kind === 'bytes'
    ? GpuDataset.fromDataset(gpu, d.dataset, d.normalisation)
    : GpuDataset.fromFloats(gpu, d.x, d.labels, d.features, d.classes, d.name);
}
