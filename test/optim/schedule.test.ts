import { describe, expect, it } from 'vitest';
import { lrAt, type Schedule } from '../../src/optim/schedule';
import { expectClose } from '../support/compare';

// Hand values in closed form; only the last bits of cos may differ.
const TOL = { atol: 1e-15, rtol: 1e-12 };
const at = (s: Schedule, steps: number[]) => steps.map((k) => lrAt(s, k));

describe('learning-rate schedules', () => {
  it('constant', () => {
    expectClose(at({ kind: 'constant', lr: 0.1 }, [0, 1, 1000]), [0.1, 0.1, 0.1], TOL);
  });

  it('step: γ every k steps', () => {
    expectClose(at({ kind: 'step', lr: 1, gamma: 0.5, every: 3 }, [0, 1, 2, 3, 5, 6, 9]), [1, 1, 1, 0.5, 0.5, 0.25, 0.125], TOL);
  });

  it('cosine to 0 over T steps, then flat', () => {
    const c = (1 + Math.SQRT1_2) / 2; // (1 + cos(π/4))/2
    expectClose(at({ kind: 'cosine', lr: 1, steps: 4 }, [0, 1, 2, 3, 4, 10]), [1, c, 0.5, 1 - c, 0, 0], TOL);
  });

  it('cosine to a floor with linear warmup', () => {
    // warmup 2: lr/2, lr; then cosine over the remaining 4 steps from 1 to 0.1.
    const c = (1 + Math.SQRT1_2) / 2;
    const s: Schedule = { kind: 'cosine', lr: 1, steps: 6, floor: 0.1, warmup: 2 };
    expectClose(at(s, [0, 1, 2, 3, 4, 5, 6, 100]), [0.5, 1, 1, 0.1 + 0.9 * c, 0.55, 0.1 + 0.9 * (1 - c), 0.1, 0.1], TOL);
  });

  it('names the field and its valid values', () => {
    const cases: [unknown, number, RegExp][] = [
      [{ kind: 'linear', lr: 1 }, 0, /schedule kind "linear" is unknown; valid kinds: 'constant', 'step', 'cosine'/],
      [{ kind: 'constant', lr: -1 }, 0, /constant schedule: lr = -1 is invalid; valid values: a finite number ≥ 0/],
      [{ kind: 'step', lr: 1, gamma: 0, every: 2 }, 0, /step schedule: gamma = 0 is invalid; valid values: a finite number > 0/],
      [{ kind: 'step', lr: 1, gamma: 0.5, every: 1.5 }, 0, /step schedule: every = 1.5 is invalid; valid values: an integer ≥ 1/],
      [{ kind: 'cosine', lr: 1, steps: 0 }, 0, /cosine schedule: steps = 0 is invalid; valid values: an integer ≥ 1/],
      [{ kind: 'cosine', lr: 1, steps: 10, floor: 2 }, 0, /cosine schedule: floor = 2 is invalid; valid values: a number in \[0, lr = 1\]/],
      [{ kind: 'cosine', lr: 1, steps: 10, warmup: 10 }, 0, /cosine schedule: warmup = 10 is invalid; valid values: an integer in \[0, steps = 10\)/],
      [{ kind: 'constant', lr: 1 }, -1, /lrAt: step = -1 is invalid; valid values: an integer ≥ 0/],
    ];
    for (const [s, step, message] of cases) expect(() => lrAt(s as Schedule, step), JSON.stringify(s)).toThrow(message);
  });
});
