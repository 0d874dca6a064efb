/**
 * The benchmark suites behind `npm run bench` (src/cli/main.ts bench):
 * npm run bench -- <suite> [--samples N] [--repeats N] [--large 1024,2048] [--shapes 784-64-10,…] [--tol 1e-4] [--tune] [--out FILE]
 *   kernels  per-family kernel throughput (+ --tune: matmul tile sweep)
 *   hvp      one gradient vs one HVP over the same data
 *   profile  per-dispatch GPU time of a gradient, an HVP and a block HVP (timestamp-query adapters)
 *   train    training-loop throughput (samples/s)
 *   probe    time to λmax at tol 1e-4 over 10,000 samples
 *   peers    side by side with TensorFlow.js and jax-js (WebGPU) on the same adapter
 *   all      every suite above
 * Prints the adapter and tables, writes JSON (default bench/results/<suite>.json).
 */
import type { Gpu } from '../gpu/context';
import { benchHvp, hvpTable } from './hvp';
import { benchProfile, profileTable } from './profile';
import { benchTrain, trainTable } from './train';
import { benchProbe, probeTable } from './probe';
import { benchKernels, kernelTable, tuneMatmul, tuneTable } from './kernels';
import { saveTuning } from './tune-store';
import { roofline, type CpuInfo } from './roofline';
import { select, type Dataset } from '../data/dataset';
import { Rng } from '../util/rng';

const SUITES = ['kernels', 'hvp', 'profile', 'train', 'probe', 'peers', 'all'] as const;
type Suite = (typeof SUITES)[number];
const STUDY_SHAPES = [[784, 64, 10], [784, 256, 256, 10]];
/** Rows per chunk in the study's HVPs and gradients: the matmul shapes the tile sweep tunes for. */
const CHUNK = 2048;

export interface BenchArgs {
  suite: Suite;
  samples?: number;
  repeats: number;
  large: number[];
  tune: boolean;
  /** Relative tolerance of the λmax benchmark (default 1e-4). */
  tol: number;
  /** The MLPs the hvp, profile, train and probe suites run (default: the study's two). */
  shapes: number[][];
  out: string;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const suite = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) as Suite | undefined;
  if (suite === undefined) throw new Error(`bench needs a suite: bench <${SUITES.join('|')}> (all runs every suite, which takes many minutes on a software adapter)`);
  if (!SUITES.includes(suite)) throw new Error(`unknown benchmark suite '${suite}'; choose one of: ${SUITES.join(', ')}`);
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const positiveNumber = (name: string, v: string) => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name} must be a positive number, got '${v}'`);
    return n;
  };
  const samples = flag('samples');
  const large = flag('large');
  const shapes = flag('shapes');
  return {
    suite,
    samples: samples === undefined ? undefined : int('samples', samples),
    repeats: int('repeats', flag('repeats') ?? '7'),
    large: large === undefined ? [1024, 2048] : large.split(',').filter(Boolean).map((s) => int('large', s)),
    tune: argv.includes('--tune'),
    tol: positiveNumber('tol', flag('tol') ?? '1e-4'),
    shapes: shapes === undefined ? STUDY_SHAPES : shapes.split(',').filter(Boolean).map((s) => {
      const widths = s.split('-').map((w) => int('shapes', w));
      if (widths.length < 2 || widths[0] !== 784 || widths.at(-1) !== 10) throw new Error(`--shapes takes MLP widths from the digits' 784 pixels to their 10 classes, like 784-64-10, got '${s}'`);
      return widths;
    }),
    out: flag('out') ?? `bench/results/${suite}.json`,
  };
}

/** What the host provides: MNIST digits to time on, the CPU (for software adapters' roofline), and whether peers can load (Node only). */
export interface BenchEnv {
  digits: Dataset;
  cpu: CpuInfo;
  peers: boolean;
}

/** The mnist package's digits are stored class by class and the suites take prefixes, so shuffle them once (seeded). */
export function shuffledDigits(ds: Dataset): Dataset {
  return select(ds, new Rng(0).permutation(ds.count), `${ds.name}/shuffled`);
}

export async function runBench(gpu: Gpu, args: BenchArgs, env: BenchEnv, print: (s: string) => void): Promise<Record<string, unknown>> {
  const roof = roofline(gpu.adapter, env.cpu);
  const want = (s: Suite) => args.suite === s || args.suite === 'all';
  const out: Record<string, unknown> = {};
  if (want('kernels')) {
    const rows = await benchKernels(gpu, { repeats: args.repeats, large: args.large, roof, batch: 128, chunk: args.samples ?? CHUNK });
    print(`roofline: ${roof.source}\n${kernelTable(rows)}`);
    out.kernels = { roofline: roof, rows };
    if (args.tune) {
      const rows = args.samples ?? CHUNK;
      const tuning = await tuneMatmul(gpu, { rows, squares: args.large.slice(0, 1), repeats: Math.max(2, Math.floor(args.repeats / 2)) });
      // Only a sweep of the study's real chunk is worth keeping; smaller ones are reported, not saved.
      const saved = rows === CHUNK ? await saveTuning(tuning.entry) : null;
      print(`matmul tile sweep (${rows}-row chunk), winners in bold:\n${tuneTable(tuning)}\n` +
        (saved ? `saved the winners for this adapter to ${saved} (the engine prefers it to the shipped table)` : `not saved (the study's chunk is ${CHUNK} rows)`));
      out.matmulTuning = { ...tuning, saved };
    }
  }
  if (want('hvp')) {
    const rows = await benchHvp(gpu, env.digits, { samples: args.samples ?? 2048, shapes: args.shapes, repeats: args.repeats });
    print(hvpTable(rows));
    out.hvp = rows;
  }
  if (want('profile')) {
    if (gpu.adapter.timestampQuery) {
      const rows = await benchProfile(gpu, env.digits, { samples: args.samples ?? CHUNK, shapes: args.shapes, repeats: args.repeats });
      print(profileTable(rows));
      out.profile = rows;
    } else {
      print('profile: skipped, this adapter has no timestamp-query (per-dispatch GPU times need it)');
    }
  }
  if (want('train')) {
    const rows = await benchTrain(gpu, env.digits, { samples: args.samples ?? 2048, shapes: args.shapes, batchSizes: [64, 128], repeats: Math.min(args.repeats, 3) });
    print(trainTable(rows));
    out.train = rows;
  }
  if (want('probe')) {
    const samples = args.samples ?? 10_000;
    const rows = await benchProbe(gpu, env.digits, { samples, shapes: args.shapes, tol: args.tol, chunkSize: Math.min(samples, 5000) });
    print(probeTable(rows));
    out.probe = rows;
  }
  if (want('peers') && env.peers) {
    // Loaded on demand: the peers need Dawn's navigator.gpu shim, which only Node has. The installed
    // package does not ship them (their TF.js / jax-js packages are the repository's devDependencies).
    const peers = await import('./peers/index.js').catch((err: { code?: string }) => {
      if (err.code === 'ERR_MODULE_NOT_FOUND') return null;
      throw err;
    });
    if (!peers) {
      print('peers: not in the installed package (TensorFlow.js and jax-js are the repository\'s devDependencies); run them from a clone: npm ci && npm run bench -- peers');
    } else {
      // jax-js's HVP needs ≤ 512 rows for 784-256-256-10 under a 128 MiB binding limit (bench/peers/index.ts).
      const report = await peers.benchPeers(gpu, {
        repeats: args.repeats,
        matmuls: [[128, 128, 784], [128, 256, 784], ...args.large.map((n) => [n, n, n] as [number, number, number])],
        samples: Math.min(args.samples ?? 512, 512),
      });
      print(peers.peersTable(report));
      out.peers = report;
    }
  }
  return out;
}
