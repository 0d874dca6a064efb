/**
 * Turns one IDX images file plus its labels file into a Dataset, from bytes or (in the
 * browser) from URLs. Browser-safe: reading paths from disk lives in node-files.ts.
 * The pair checks are the ones a single file cannot make: right rank per role and
 * the same number of images as labels.
 */
import { makeDataset, type Dataset } from './dataset';
import { decodeIdx, type Gunzip, type IdxArray } from './idx';

/** Raw (or gzipped) IDX bytes and the name to cite when they are wrong. */
export interface IdxSource {
  file: string;
  bytes: Uint8Array;
}

export interface IdxPair {
  images: IdxSource;
  labels: IdxSource;
  name: string;
  /** Labels must lie in [0, classes); 10 for the MNIST family. */
  classes?: number;
}

export async function loadIdxPair(pair: IdxPair, gunzip?: Gunzip): Promise<Dataset> {
  const [images, labels] = await Promise.all([
    decodeIdx(pair.images.bytes, pair.images.file, gunzip),
    decodeIdx(pair.labels.bytes, pair.labels.file, gunzip),
  ]);
  return datasetFromIdx(images, labels, pair.name, pair.classes ?? 10);
}

function datasetFromIdx(images: IdxArray, labels: IdxArray, name: string, classes: number): Dataset {
  if (images.dims.length !== 3) {
    throw new Error(`${images.file}: given as the images file but is 1-D (a labels file?); swap the images and labels arguments.`);
  }
  if (labels.dims.length !== 1) {
    throw new Error(`${labels.file}: given as the labels file but is 3-D (an images file?); swap the images and labels arguments.`);
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(
      `${images.file} has ${count} images but ${labels.file} has ${labels.dims[0]} labels; ` +
        `the two files must come from the same set (e.g. both train or both t10k).`,
    );
  }
  return makeDataset(
    { name, count, rows, cols, classes, pixels: images.data, labels: labels.data },
    { pixels: images.file, labels: labels.file },
  );
}

async function fetchBytes(url: string): Promise<IdxSource> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}; check the file is served at that path.`);
  }
  return { file: url, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** Browser loader. A server that sets Content-Encoding: gzip hands over raw bytes; both work. */
export async function fetchIdxPair(urls: { images: string; labels: string; name: string; classes?: number }): Promise<Dataset> {
  const [images, labels] = await Promise.all([fetchBytes(urls.images), fetchBytes(urls.labels)]);
  return loadIdxPair({ images, labels, name: urls.name, classes: urls.classes });
}
