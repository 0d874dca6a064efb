/**
 * The equal-budget reproduction of the reference table (reproduction.ts), as a study-level measure:
 * after the study's runs, each run of a configuration named as in the published table is trained
 * again without the stop at the loss target, for the whole budget (train.maxEpochs), and its λmax
 * measured on the probe set by the same block solver and budget as the study's probe. A run that
 * spent the whole budget anyway (unconverged) is that run already: its record is reused, not
 * retrained. Diverged runs are left out (trained again, they diverge again). Each shard reproduces
 * its own runs, so the merge concatenates them.
 */
import { Mlp } from '../autograd/mlp';
import { hessianBlockOperator } from '../probe/block-operator';
import { train } from '../train/trainer';
import { blockTop } from '../measures/block-solvers';
import { plural } from '../util/words';
import { isReference, reproduces, type BudgetRun, type Reproduction } from './reproduction';
import type { RunResult } from './results';
import type { StudyMeasure, StudyMeasureContext } from './study-measure';

async function budgetRun(ctx: StudyMeasureContext, r: RunResult): Promise<BudgetRun | null> {
  const { gpu, config, trainData, testData, probeData, signal } = ctx;
  const run = config.configurations.find((c) => c.name === r.configuration)!;
  const p = config.probe;
  const model = await Mlp.create(gpu, { widths: [trainData.features, ...config.hidden, trainData.classes], activation: config.activation, seed: r.seed });
  try {
    const t = await train(model, trainData, {
      epochs: config.train.maxEpochs, maxSteps: ctx.maxSteps, batchSize: run.batchSize ?? config.batchSize, optimizer: run.optimizer, seed: r.seed,
      logEvery: config.logEvery, test: testData, evalChunkSize: p.chunkSize, signal,
    });
    t.optimizer.destroy();
    if (t.stopped || t.diverged) return null;
    const last = t.evals.at(-1)!;
    const op = await hessianBlockOperator(model, probeData, p.blockSize, { chunkSize: p.chunkSize });
    try {
      const { eig } = await blockTop(op, p, r.seed);
      const [top] = eig.groups;
      return {
        configuration: r.configuration, seed: r.seed, steps: t.steps, reachedTarget: last.train.loss <= config.train.lossTarget,
        trainLoss: last.train.loss, testAccuracy: last.test!.accuracy, lambdaMax: top.values[0], lambdaConverged: top.converged[0], reused: false,
      };
    } finally {
      op.destroy();
    }
  } finally {
    model.destroy();
  }
}

export async function reproduceReference(ctx: StudyMeasureContext): Promise<Reproduction> {
  const runs = ctx.runs.filter((r) => isReference(r.configuration) && !r.diverged);
  const out: BudgetRun[] = [];
  ctx.log(`equal-budget reproduction of the reference table: ${plural(runs.length, 'run')} trained for ${plural(ctx.config.train.maxEpochs, 'epoch')} ` +
    `(${runs.filter((r) => r.converged === false).length} reused: they spent the budget anyway)`);
  for (const [i, r] of runs.entries()) {
    if (ctx.signal?.aborted) break;
    const label = `${r.configuration} seed ${r.seed} (equal budget)`;
    if (r.converged === false && r.sharpness) {
      out.push({
        configuration: r.configuration, seed: r.seed, steps: r.steps, reachedTarget: false, trainLoss: r.train.loss, testAccuracy: r.test.accuracy,
        lambdaMax: r.sharpness.lambdaMax, lambdaConverged: r.sharpness.lambdaConverged, reused: true,
      });
      continue;
    }
    ctx.progress?.(label, i / runs.length, 'training for the whole budget');
    let b: BudgetRun | null;
    try {
      b = await budgetRun(ctx, r);
    } catch (err) {
      // One failed run never takes down the study: it is left out of the table, which counts the runs it has.
      ctx.log(`${label}: failed (${(err as Error).message}); left out of the reproduction, the study goes on`);
      continue;
    }
    if (!b) {
      ctx.log(`${label}: ${ctx.signal?.aborted ? 'stopped' : 'diverged'} before the end of the budget; left out of the reproduction`);
      continue;
    }
    out.push(b);
    ctx.log(`${label}: test acc ${(100 * b.testAccuracy).toFixed(2)}%, λmax ${b.lambdaMax.toFixed(3)} after ${b.steps} steps`);
  }
  return { epochs: ctx.config.train.maxEpochs, runs: out };
}

export const reproductionMeasure: StudyMeasure = {
  name: 'reproduction',
  settings: ['reproduction', 'configurations', 'train.maxEpochs', 'train.lossTarget', 'probe.blockSize', 'probe.topK', 'probe.tol', 'probe.maxIter', 'probe.chunkSize'],
  enabled: (config) => reproduces(config),
  off: { reproduction: null },
  run: async (ctx) => ({ reproduction: await reproduceReference(ctx) }),
};
