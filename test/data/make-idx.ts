/**
 * Builds tiny IDX files and datasets in memory, so parser and loader tests need no
 * fixtures on disk and each test shows exactly which bytes it feeds in.
 */
import { makeDataset, type Dataset } from '../../src/data/dataset';

/** An IDX file: magic 00 00 dtype rank, big-endian dims, then `data` (padded with zeros to fit by default). */
export function idxBytes(dims: number[], data: ArrayLike<number> = [], dtype = 0x08): Uint8Array {
  const header = 4 + 4 * dims.length;
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(header + Math.max(size, data.length));
  const view = new DataView(out.buffer);
  out[2] = dtype;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), header);
  return out;
}

/** Images [count, rows, cols] with pixel value (sample + pixel) % 256. */
export function imagesIdx(count: number, rows = 2, cols = 3): Uint8Array {
  const data = Array.from({ length: count * rows * cols }, (_, i) => (Math.floor(i / (rows * cols)) + i) % 256);
  return idxBytes([count, rows, cols], data);
}

export function labelsIdx(labels: number[]): Uint8Array {
  return idxBytes([labels.length], labels);
}

/**
 * A 2x2 dataset whose pixels spell each sample's index in base 256, so after a split
 * every output sample can be traced back to the input sample it came from.
 */
export function tracedDataset(labels: number[], classes = 10): Dataset {
  const count = labels.length;
  const pixels = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    for (let b = 0; b < 4; b++) pixels[i * 4 + b] = (i >>> (8 * b)) & 0xff;
  }
  return makeDataset({ name: 'traced', count, rows: 2, cols: 2, classes, pixels, labels: Uint8Array.from(labels) });
}

export function sourceIndices(ds: Dataset): number[] {
  return Array.from({ length: ds.count }, (_, i) => {
    const p = ds.pixels.subarray(i * 4, i * 4 + 4);
    return (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
  });
}
