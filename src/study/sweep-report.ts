/**
 * The report's sweep section: one row per grid cell (optimizer, learning rate, batch size) with the
 * means over its seeds, so the rank correlations of the report — taken over every run of the grid —
 * can be read against the knobs that produced them.
 */
import { plural } from '../util/words';
import { convergedRuns, unconvergedRuns } from './run-sets';
import type { RunResult, StudyResult } from './results';
import { sweepConfigurations, type SweepConfig } from './sweep';
import { finiteMean, rankCorrelation, verdictOf, type Verdict } from './statistics';

export function sweepSection(result: StudyResult): string[] {
  const sweep = result.config.sweep;
  if (!sweep) return [];
  // The cells this study ran (a config given to the runner unexpanded ran none).
  const cells = sweepConfigurations(sweep).filter((c) => result.config.configurations.some((r) => r.name === c.name));
  if (cells.length === 0) return [];
  const avg = (rs: RunResult[], get: (r: RunResult) => number | undefined, scale = 1, digits = 2) => {
    const m = finiteMean(rs.map(get));
    return Number.isFinite(m) ? (scale * m).toFixed(digits) : 'n/a';
  };
  const seeds = sweep.seeds ?? result.config.seeds;
  const pooled = sweep.alongside
    ? `The grid runs after the ${plural(result.config.configurations.length - cells.length, 'configuration')} above` +
      `${sweep.seeds ? ` on seed${seeds.length === 1 ? '' : 's'} ${seeds.join(', ')}` : ''}` +
      `${sweep.measures ? `, measuring only ${sweep.measures.join(', ')}` : ''}; the rank correlations above pool every converged run, theirs and the grid's `
    : 'The rank correlations above are over every finished run of the grid ';
  const lines = [
    '## Sweep: learning rate × batch size × optimizer', '',
    `${plural(cells.length, 'cell')} × ${plural(seeds.length, 'seed')}. ${pooled}` +
      '(Jiang et al. 2019: does a sharpness measure rank the runs as their generalisation does, when the knobs vary?). ' +
      'Means over the converged runs of each cell; diverged and unconverged runs are counted apart and left out of the correlations.', '',
    '| Cell | optimizer | lr | batch | runs (diverged, unconverged) | test error (%) | gen. gap (pp) | λmax | trace |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cells) {
    const rs = result.runs.filter((r) => r.configuration === c.name);
    const ok = convergedRuns(rs);
    lines.push(`| ${c.name} | ${c.optimizer.kind} | ${c.optimizer.lr} | ${c.batchSize} | ${rs.length} (${rs.filter((r) => r.diverged).length}, ${unconvergedRuns(rs).length}) | ` +
      `${avg(ok, (r) => 1 - r.test.accuracy, 100)} | ${avg(ok, (r) => r.genGap, 100)} | ${avg(ok, (r) => r.sharpness?.lambdaMax)} | ` +
      `${avg(ok, (r) => r.sharpness?.trace, 1, 1)} |`);
  }
  lines.push('', ...knobLines(result, sweep));
  return lines;
}

/** τ(η/B, λmax)'s verdict in words: "supported" means a larger step per sample went with a sharper minimum. */
const KNOB_READING: Record<Verdict, string> = {
  supported: 'a larger η/B went with a sharper minimum',
  contradicted: 'a larger η/B went with a flatter minimum',
  undecided: 'undecided: the interval contains 0',
};

/** Fewer converged cells than this give no interval worth printing. */
const MIN_CELLS = 4;

/**
 * Which knob sets the curvature: per optimizer entry of the grid, Kendall τ between the step size
 * per sample η/B (SGD's noise temperature: a larger one is expected to settle in flatter minima) and
 * λmax, over its converged runs, with the bootstrap interval the correlations use.
 */
function knobLines(result: StudyResult, sweep: SweepConfig): string[] {
  const lines: string[] = [];
  for (const o of sweep.optimizers) {
    const names = new Set(sweepConfigurations({ optimizers: [o], batchSizes: sweep.batchSizes }).map((c) => c.name));
    const runs = convergedRuns(result.runs.filter((r) => names.has(r.configuration))).filter((r) => Number.isFinite(r.sharpness?.lambdaMax));
    if (runs.length < MIN_CELLS) continue;
    const stepPerSample = (r: RunResult) => {
      const c = result.config.configurations.find((x) => x.name === r.configuration)!;
      return c.optimizer.lr! / c.batchSize!;
    };
    const c = rankCorrelation(runs.map(stepPerSample), runs.map((r) => r.sharpness!.lambdaMax));
    const t = c.tauInterval;
    const reading = KNOB_READING[verdictOf(t)];
    lines.push(`- ${o.name ?? o.kind}: Kendall τ between η/B and λmax ${c.kendallTau.toFixed(2)} (95 % bootstrap interval ` +
      `[${t.low.toFixed(2)}, ${t.high.toFixed(2)}], ${c.n} converged runs): ${reading}.`);
  }
  return lines.length === 0 ? [] : ['Which knob sets the curvature: per optimizer of the grid, the step size per sample η/B against λmax.', '', ...lines, ''];
}
