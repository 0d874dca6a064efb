/** Loaders on tiny in-memory / temp-dir fixtures: pairing checks, folder discovery, fetch, digit JSON, spec errors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchIdxPair, loadIdxPair } from '../../src/data/idx-pair';
import { loadDataset, type DatasetSpec } from '../../src/data/load-dataset';
import { datasetFromDigits } from '../../src/data/mnist-digits';
import { parseIdx } from '../../src/data/idx';
import { loadIdxFolder, readIdxPair } from '../../src/data/node-files';
import { imagesIdx, labelsIdx } from './make-idx';

const pair = (images: Uint8Array, labels: Uint8Array) => ({
  images: { file: 'imgs-idx3', bytes: images },
  labels: { file: 'labs-idx1', bytes: labels },
  name: 'tiny',
});

describe('loadIdxPair', () => {
  it('builds a dataset with the header shape', async () => {
    const ds = await loadIdxPair(pair(imagesIdx(3, 4, 5), labelsIdx([9, 0, 4])));
    expect(ds).toMatchObject({ name: 'tiny', count: 3, rows: 4, cols: 5, features: 20, classes: 10 });
    expect(Array.from(ds.labels)).toEqual([9, 0, 4]);
    expect(ds.pixels.length).toBe(60);
  });

  it('rejects an image/label count mismatch, naming both files', async () => {
    await expect(loadIdxPair(pair(imagesIdx(3), labelsIdx([1, 2])))).rejects.toThrow(
      'imgs-idx3 has 3 images but labs-idx1 has 2 labels',
    );
  });

  it('rejects a label out of range, naming the labels file', async () => {
    await expect(loadIdxPair(pair(imagesIdx(3), labelsIdx([1, 10, 2])))).rejects.toThrow(
      /^labs-idx1: label 10 at sample 1 is out of range 0\.\.9/,
    );
    await expect(loadIdxPair({ ...pair(imagesIdx(1), labelsIdx([10])), classes: 26 })).resolves.toMatchObject({ classes: 26 });
  });

  it('rejects swapped files and empty files', async () => {
    await expect(loadIdxPair(pair(labelsIdx([1]), imagesIdx(1)))).rejects.toThrow(/^imgs-idx3: .*swap the images and labels/);
    await expect(loadIdxPair(pair(imagesIdx(0), labelsIdx([])))).rejects.toThrow(/^imgs-idx3: has 0 samples/);
  });
});

describe('fetchIdxPair', () => {
  const served: Record<string, Uint8Array> = {
    '/d/img.gz': gzipSync(imagesIdx(2)),
    '/d/lab': labelsIdx([3, 7]),
  };
  beforeEach(() => {
    vi.stubGlobal('fetch', async (url: string) =>
      served[url] ? new Response(served[url].slice()) : new Response('nope', { status: 404, statusText: 'Not Found' }),
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  it('fetches, gunzips in the web way and parses', async () => {
    const ds = await fetchIdxPair({ images: '/d/img.gz', labels: '/d/lab', name: 'web' });
    expect(ds).toMatchObject({ name: 'web', count: 2, rows: 2, cols: 3 });
    expect(Array.from(ds.labels)).toEqual([3, 7]);
  });

  it('names the URL on HTTP errors', async () => {
    await expect(fetchIdxPair({ images: '/d/img.gz', labels: '/d/missing', name: 'web' })).rejects.toThrow(
      '/d/missing: HTTP 404 Not Found',
    );
  });
});

describe('loadIdxFolder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idx-folder-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const write = (file: string, bytes: Uint8Array) => writeFile(join(dir, file), bytes);

  it('reads raw, gzipped and dotted file names into a split', async () => {
    await write('train-images-idx3-ubyte.gz', gzipSync(imagesIdx(4)));
    await write('train-labels.idx1-ubyte', labelsIdx([0, 1, 2, 3]));
    await write('t10k-images.idx3-ubyte.gz', gzipSync(imagesIdx(2)));
    await write('t10k-labels-idx1-ubyte', labelsIdx([5, 6]));
    const split = await loadIdxFolder(dir, 'toy');
    expect(split.train).toMatchObject({ name: 'toy/train', count: 4, rows: 2, cols: 3 });
    expect(split.test).toMatchObject({ name: 'toy/test', count: 2 });
    expect(Array.from(split.test.labels)).toEqual([5, 6]);
    expect(split.train.pixels).toEqual(parseIdx(imagesIdx(4), 'raw').data);
  });

  it('lists what is expected and what is there when files are missing', async () => {
    await write('train-images-idx3-ubyte', imagesIdx(1));
    await write('README', new Uint8Array());
    await expect(loadIdxFolder(dir)).rejects.toThrow(`IDX folder ${dir} lacks train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte`);
    await expect(loadIdxFolder(dir)).rejects.toThrow('found: README, train-images-idx3-ubyte.');
    await expect(loadIdxFolder(join(dir, 'nope'))).rejects.toThrow(/nope cannot be read \(ENOENT\)/);
  });

  it('rejects train and test of different image sizes', async () => {
    await write('train-images-idx3-ubyte', imagesIdx(1, 28, 28));
    await write('train-labels-idx1-ubyte', labelsIdx([1]));
    await write('t10k-images-idx3-ubyte', imagesIdx(1, 32, 32));
    await write('t10k-labels-idx1-ubyte', labelsIdx([1]));
    await expect(loadIdxFolder(dir, 'mixed')).rejects.toThrow(
      "'mixed/train' is 28x28 with 10 classes but 'mixed/test' is 32x32",
    );
  });

  it('reads a pair by path', async () => {
    await write('a-idx3', gzipSync(imagesIdx(2)));
    await write('b-idx1', labelsIdx([1, 20]));
    await expect(readIdxPair({ images: join(dir, 'a-idx3'), labels: join(dir, 'b-idx1'), name: 'p' })).rejects.toThrow(
      `${join(dir, 'b-idx1')}: label 20 at sample 1`,
    );
    const ds = await readIdxPair({ images: join(dir, 'a-idx3'), labels: join(dir, 'b-idx1'), name: 'p', classes: 21 });
    expect(ds).toMatchObject({ name: 'p', count: 2, classes: 21 });
  });

  it('is what loadDataset uses for source idx', async () => {
    for (const [f, b] of [
      ['train-images-idx3-ubyte', imagesIdx(3)], ['train-labels-idx1-ubyte', labelsIdx([1, 2, 3])],
      ['t10k-images-idx3-ubyte', imagesIdx(1)], ['t10k-labels-idx1-ubyte', labelsIdx([4])],
    ] as const) await write(f, b);
    const split = await loadDataset({ source: 'idx', path: dir });
    expect([split.train.count, split.test.count]).toEqual([3, 1]);
  });
});

describe('loadDataset spec checks', () => {
  it('names the field and the valid values for an unknown source', async () => {
    await expect(loadDataset({ source: 'cifar' } as unknown as DatasetSpec)).rejects.toThrow(
      `dataset spec: field 'source' is "cifar"; valid values are 'mnist-10k', 'mnist', 'idx'.`,
    );
  });

  it('asks for a path for source idx', async () => {
    await expect(loadDataset({ source: 'idx' } as unknown as DatasetSpec)).rejects.toThrow("needs field 'path'");
  });
});

describe('datasetFromDigits', () => {
  // Class c gets c+1 images; every pixel is the quantised form of byte (c * 25 + p) % 256.
  const digits = Array.from({ length: 10 }, (_, c) => ({
    data: Array.from({ length: (c + 1) * 784 }, (_, p) => Math.round((((c * 25 + p) % 256) / 255) * 1000) / 1000),
  }));

  it('recovers the bytes exactly, class-major', () => {
    const ds = datasetFromDigits(digits);
    expect(ds).toMatchObject({ name: 'mnist-10k', count: 55, rows: 28, cols: 28, classes: 10 });
    expect(Array.from(ds.labels.subarray(0, 4))).toEqual([0, 1, 1, 2]);
    expect(ds.pixels[784 + 300]).toBe((25 + 300) % 256);
    expect(ds.pixels[45 * 784]).toBe(9 * 25); // first image of class 9 (1 + 2 + ... + 9 = 45 before it)
  });

  it('rejects values that are not round(byte/255, 3), naming the file and index', () => {
    const bad = digits.map((d) => ({ data: d.data.slice() }));
    bad[4].data[7] = 0.5;
    expect(() => datasetFromDigits(bad)).toThrow('mnist digits/4.json: value #7 = 0.5 is not round(byte/255, 3)');
    bad[4].data[7] = NaN;
    expect(() => datasetFromDigits(bad)).toThrow('value #7 = NaN');
  });

  it('rejects a missing file or a partial image', () => {
    expect(() => datasetFromDigits(digits.slice(0, 9))).toThrow('got 9 digit files, expected 10');
    const cut = digits.map((d, c) => ({ data: c === 2 ? d.data.slice(1) : d.data }));
    expect(() => datasetFromDigits(cut)).toThrow('mnist digits/2.json: 2351 values is not a whole number');
  });
});
