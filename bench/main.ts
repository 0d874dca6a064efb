/**
 * npm run bench -- <suite> [--samples N] [--repeats N] [--out FILE]
 * Suites: hvp (gradient vs HVP), train (training-loop throughput). Prints the adapter and a table, writes JSON (default bench/results/<suite>.json).
 */
import { acquireDevice } from '../src/gpu/device';
import { writeFileAtomic } from '../src/util/atomic-write';
import { benchHvp, hvpTable } from './hvp';
import { benchTrain, trainTable } from './train';

const SUITES = ['hvp', 'train'] as const;
type Suite = (typeof SUITES)[number];

function parseArgs(argv: string[]) {
  const suite = (argv.find((a) => !a.startsWith('--')) ?? 'hvp') as Suite;
  if (!SUITES.includes(suite)) throw new Error(`unknown benchmark suite '${suite}'; choose one of: ${SUITES.join(', ')}`);
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const v = flag(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  return {
    suite,
    samples: num('samples', 2048),
    repeats: num('repeats', 7),
    out: flag('out') ?? `bench/results/${suite}.json`,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const gpu = await acquireDevice();
  try {
    const a = gpu.adapter;
    console.log(`adapter: ${a.description || a.device} (${a.vendor}, ${a.architecture}${a.software ? ', software' : ''}); ` +
      `timing: ${a.timestampQuery ? 'timestamp-query' : 'wall clock'}`);
    const shapes = [[784, 128, 10], [784, 256, 256, 10]];
    let rows: unknown[];
    if (args.suite === 'hvp') {
      const r = await benchHvp(gpu, { samples: args.samples, shapes, repeats: args.repeats });
      console.log(hvpTable(r));
      rows = r;
    } else {
      const r = await benchTrain(gpu, { samples: args.samples, shapes, batchSizes: [64, 128], repeats: args.repeats });
      console.log(trainTable(r));
      rows = r;
    }
    const result = { suite: args.suite, date: new Date().toISOString(), adapter: a, rows };
    await writeFileAtomic(args.out, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${args.out}`);
  } finally {
    gpu.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
