/**
 * The `eos` section of the study config (edge of stability: src/study/eos.ts and the during-training
 * measures of src/study/training-sharpness.ts): its type, default and checks, which config.ts calls.
 */

export interface EosConfig {
  /** false: no full-batch experiment (and no mini-batch / preconditioned sharpness during training). */
  enabled: boolean;
  /** Step sizes η of the full-batch runs, each traced against its 2/η. */
  etas: number[];
  /** Full-batch steps per η. */
  steps: number;
  /** λmax every this many steps. */
  every: number;
  /** Training samples of the full batch (the first N of the train split). */
  samples: number;
  /** Warm-started power iterations per trace point (and per preconditioned check during training after the first). */
  powerIters: number;
  /**
   * During each study run, at every probe.duringEvery check: SGD's mini-batch sharpness (λmax on
   * one fresh mini-batch of the run's batch size) and Adam's preconditioned sharpness λmax(P⁻¹H).
   */
  duringTraining: boolean;
}

export const DEFAULT_EOS: EosConfig = {
  enabled: true, etas: [0.2, 0.35], steps: 60, every: 10, samples: 500, powerIters: 3, duringTraining: true,
};

/** Checks the `eos` section; `fail` names the field (config.ts's error format). */
export function validateEos(e: EosConfig, fail: (field: string, why: string) => never): void {
  const posInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) fail(`eos.${field}`, `must be a positive integer, got ${JSON.stringify(v)}`);
  };
  if (typeof e.enabled !== 'boolean') fail('eos.enabled', `must be true or false (the off switch), got ${JSON.stringify(e.enabled)}`);
  if (typeof e.duringTraining !== 'boolean') fail('eos.duringTraining', `must be true or false, got ${JSON.stringify(e.duringTraining)}`);
  if (!Array.isArray(e.etas) || e.etas.length === 0 || e.etas.length > 6) {
    fail('eos.etas', `must list 1 to 6 step sizes, e.g. [0.15, 0.3], got ${JSON.stringify(e.etas)} (turn the experiment off with "enabled": false)`);
  }
  e.etas.forEach((eta, i) => {
    if (typeof eta !== 'number' || !(eta > 0) || !Number.isFinite(eta)) fail(`eos.etas[${i}]`, `must be a positive step size, got ${JSON.stringify(eta)}`);
  });
  if (new Set(e.etas).size !== e.etas.length) fail('eos.etas', `lists a step size twice: ${JSON.stringify(e.etas)}`);
  posInt('steps', e.steps);
  posInt('every', e.every);
  posInt('samples', e.samples);
  posInt('powerIters', e.powerIters);
  if (e.every > e.steps) fail('eos.every', `(${e.every}) must be at most eos.steps (${e.steps}), or the trace has only its end points`);
}
