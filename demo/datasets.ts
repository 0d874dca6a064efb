/**
 * The datasets the page offers, the gzipped IDX files each is served from (written by
 * scripts/build-demo-data.ts, which imports these names), and the browser loader. The 10k digits
 * are split here exactly as the Node study splits them (src/data/load-dataset.ts 'mnist-10k').
 */
import { makeSplit, fetchIdxPair, splitDataset, DEFAULT_CONFIG, type Split, type StudyConfig } from 'hessian-gpu';

export interface IdxFiles {
  name: string;
  images: string;
  labels: string;
}

/** Sizes known before loading: for the cost estimate and the import panel's fit check. */
export interface DatasetShape {
  train: number;
  test: number;
  features: number;
  classes: number;
}

export const DATASETS = {
  'mnist-10k': {
    title: 'MNIST 10k digits, 80/20 split',
    shape: { train: 8000, test: 2000, features: 784, classes: 10 },
    files: [{ name: 'mnist-10k', images: 'mnist-10k-images-idx3-ubyte.gz', labels: 'mnist-10k-labels-idx1-ubyte.gz' }],
  },
  mnist: {
    title: 'MNIST, 60k train / 10k test',
    shape: { train: 60000, test: 10000, features: 784, classes: 10 },
    files: [
      { name: 'mnist/train', images: 'mnist-train-images-idx3-ubyte.gz', labels: 'mnist-train-labels-idx1-ubyte.gz' },
      { name: 'mnist/test', images: 'mnist-t10k-images-idx3-ubyte.gz', labels: 'mnist-t10k-labels-idx1-ubyte.gz' },
    ],
  },
} as const satisfies Record<string, { title: string; shape: DatasetShape; files: readonly IdxFiles[] }>;

export type DatasetName = keyof typeof DATASETS;

/** Where the files live relative to the page (base './' keeps the site relocatable). */
export const DATA_DIR = 'data/';

/** The Node study's split of the 10k digits (its default data source). */
const SPLIT = DEFAULT_CONFIG.data as Extract<StudyConfig['data'], { source: 'mnist-10k' }>;
const loaded = new Map<DatasetName, Promise<Split>>();

/** Fetched and decoded once per page: switching back to a dataset costs nothing. */
export function loadSplit(name: DatasetName): Promise<Split> {
  let pending = loaded.get(name);
  if (!pending) {
    pending = fetchSplit(name);
    loaded.set(name, pending);
    pending.catch(() => loaded.delete(name));
  }
  return pending;
}

async function fetchSplit(name: DatasetName): Promise<Split> {
  const sets = await Promise.all(DATASETS[name].files.map((f: IdxFiles) =>
    fetchIdxPair({ name: f.name, images: DATA_DIR + f.images, labels: DATA_DIR + f.labels })));
  if (sets.length === 2) return makeSplit(sets[0], sets[1]);
  return splitDataset(sets[0], { testFraction: SPLIT.testFraction, seed: SPLIT.splitSeed });
}
