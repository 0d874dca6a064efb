/**
 * Learning-rate schedules, evaluated on the host (the optimizer takes the value per step through
 * its uniform, so a schedule never touches a pipeline). `step` counts from 0 in whatever unit the
 * caller advances it by — optimizer steps, or epochs if it is called once per epoch.
 *
 *   constant: lr
 *   step:     lr·γ^⌊step/every⌋                                       (PyTorch StepLR)
 *   cosine:   warmup (optional): lr·(step + 1)/warmup for step < warmup, so step 0 is not wasted
 *             at lr 0 and step warmup − 1 reaches lr; then, with p = (step − warmup)/(steps − warmup),
 *             floor + (lr − floor)·(1 + cos(π·p))/2, reaching floor at step `steps` and staying
 *             there (PyTorch's CosineAnnealingLR with η_min = floor, but not periodic).
 */
export type Schedule =
  | { kind: 'constant'; lr: number }
  | { kind: 'step'; lr: number; gamma: number; every: number }
  | { kind: 'cosine'; lr: number; steps: number; floor?: number; warmup?: number };

export const SCHEDULE_KINDS = ['constant', 'step', 'cosine'] as const;

/** Throws an Error naming the field and its valid values when the schedule is malformed. */
export function validateSchedule(s: Schedule): void {
  const kind = (s as { kind?: unknown }).kind;
  if (kind !== 'constant' && kind !== 'step' && kind !== 'cosine') {
    throw new Error(`schedule kind ${JSON.stringify(kind)} is unknown; valid kinds: ${SCHEDULE_KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
  check(kind, 'lr', s.lr, Number.isFinite(s.lr) && s.lr >= 0, 'a finite number ≥ 0');
  if (s.kind === 'step') {
    check(kind, 'gamma', s.gamma, Number.isFinite(s.gamma) && s.gamma > 0, 'a finite number > 0');
    check(kind, 'every', s.every, Number.isInteger(s.every) && s.every >= 1, 'an integer ≥ 1');
  } else if (s.kind === 'cosine') {
    check(kind, 'steps', s.steps, Number.isInteger(s.steps) && s.steps >= 1, 'an integer ≥ 1');
    const floor = s.floor ?? 0;
    check(kind, 'floor', floor, Number.isFinite(floor) && floor >= 0 && floor <= s.lr, `a number in [0, lr = ${s.lr}]`);
    const warmup = s.warmup ?? 0;
    check(kind, 'warmup', warmup, Number.isInteger(warmup) && warmup >= 0 && warmup < s.steps, `an integer in [0, steps = ${s.steps})`);
  }
}

function check(kind: string, field: string, value: unknown, ok: boolean, valid: string): void {
  if (!ok) throw new Error(`${kind} schedule: ${field} = ${String(value)} is invalid; valid values: ${valid}`);
}

/** The learning rate at `step` (0-based). */
export function lrAt(s: Schedule, step: number): number {
  validateSchedule(s);
  if (!Number.isInteger(step) || step < 0) throw new Error(`lrAt: step = ${step} is invalid; valid values: an integer ≥ 0`);
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step':
      return s.lr * s.gamma ** Math.floor(step / s.every);
    case 'cosine': {
      const warmup = s.warmup ?? 0;
      const floor = s.floor ?? 0;
      if (step < warmup) return (s.lr * (step + 1)) / warmup;
      const p = Math.min(1, (step - warmup) / (s.steps - warmup));
      return floor + ((s.lr - floor) * (1 + Math.cos(Math.PI * p))) / 2;
    }
  }
}
