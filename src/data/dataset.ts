/**
 * The in-memory dataset every loader produces and the engine consumes.
 * Pixels stay as bytes: the GPU side uploads them packed four per u32, because full
 * MNIST as f32 (188 MB) would not fit a 128 MiB storage binding. Every Dataset is
 * built through makeDataset, so the rest of the engine can rely on its invariants
 * (at least one sample, consistent sizes, every label < classes).
 */
export interface Dataset {
  /** Source family ('mnist', 'mnist-10k', 'fashion-mnist'), plus '/train' or '/test' for the halves of a Split. */
  name: string;
  count: number;
  rows: number;
  cols: number;
  /** rows * cols */
  features: number;
  classes: number;
  /** count * features bytes, sample-major, row-major within a sample, 0..255. */
  pixels: Uint8Array;
  /** count labels in [0, classes). */
  labels: Uint8Array;
}

export interface Split {
  train: Dataset;
  test: Dataset;
}

/** What to name in an error: the file each array came from, when there is one. */
export interface Origin {
  pixels: string;
  labels: string;
}

export function makeDataset(fields: Omit<Dataset, 'features'>, origin?: Origin): Dataset {
  const { name, count, rows, cols, classes, pixels, labels } = fields;
  const from = origin ?? { pixels: `dataset '${name}'`, labels: `dataset '${name}'` };
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!positiveInt(count)) {
    throw new Error(`${from.pixels}: has ${count} samples; a dataset needs at least one (check the file is not empty and the subset/split sizes).`);
  }
  if (!positiveInt(rows) || !positiveInt(cols)) {
    throw new Error(`${from.pixels}: image size ${rows}x${cols} is not a positive integer size.`);
  }
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new Error(`dataset '${name}': classes = ${classes}; byte labels need 1..256 classes.`);
  }
  const features = rows * cols;
  if (pixels.length !== count * features) {
    throw new Error(`${from.pixels}: ${pixels.length} pixel bytes, expected ${count} samples x ${features} = ${count * features}.`);
  }
  if (labels.length !== count) {
    throw new Error(`${from.labels}: ${labels.length} labels for ${count} images; the image and label files must come from the same set.`);
  }
  for (let i = 0; i < count; i++) {
    if (labels[i] >= classes) {
      throw new Error(`${from.labels}: label ${labels[i]} at sample ${i} is out of range 0..${classes - 1}; pass the right class count or fix the labels file.`);
    }
  }
  return { name, count, rows, cols, features, classes, pixels, labels };
}

/** Train and test must agree on shape and class count, or a model fit to one cannot score the other. */
export function makeSplit(train: Dataset, test: Dataset): Split {
  if (train.rows !== test.rows || train.cols !== test.cols || train.classes !== test.classes) {
    throw new Error(
      `'${train.name}' is ${train.rows}x${train.cols} with ${train.classes} classes but '${test.name}' is ` +
        `${test.rows}x${test.cols} with ${test.classes} classes; train and test must come from the same dataset.`,
    );
  }
  return { train, test };
}

/** The samples at `indices`, in that order, as a new dataset (copies, so the result owns tight buffers). */
export function select(ds: Dataset, indices: ArrayLike<number>, name: string): Dataset {
  const n = indices.length;
  const f = ds.features;
  const pixels = new Uint8Array(n * f);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new Error(`select from '${ds.name}': index ${i} is outside 0..${ds.count - 1}.`);
    }
    pixels.set(ds.pixels.subarray(i * f, (i + 1) * f), k * f);
    labels[k] = ds.labels[i];
  }
  return makeDataset({ ...ds, name, count: n, pixels, labels });
}

/**
 * The first `count` samples. Deterministic and cheap, and representative for IDX files
 * and split outputs (both in shuffled order) — but not for loadMnistPackage's
 * class-major dataset, whose prefix is all zeros: split that first.
 */
export function take(ds: Dataset, count: number): Dataset {
  if (!Number.isInteger(count) || count < 1 || count > ds.count) {
    throw new Error(`take(${count}) from '${ds.name}': count must be an integer in 1..${ds.count}.`);
  }
  return makeDataset({
    ...ds,
    count,
    pixels: ds.pixels.slice(0, count * ds.features),
    labels: ds.labels.slice(0, count),
  });
}

/** The first `count` samples, or the whole set when count is 0 or covers it (the configs' "0 = all"). */
export function firstSamples(ds: Dataset, count: number): Dataset {
  return count > 0 && count < ds.count ? take(ds, count) : ds;
}

export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classes).fill(0);
  for (let i = 0; i < ds.count; i++) counts[ds.labels[i]]++;
  return counts;
}
