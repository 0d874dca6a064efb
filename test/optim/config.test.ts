import { describe, expect, it } from 'vitest';
import { resolveOptimizerConfig, type OptimizerConfig } from '../../src/optim/optimizer';

const resolve = (c: unknown) => resolveOptimizerConfig(c as OptimizerConfig);

describe('optimizer config', () => {
  it('fills in the PyTorch defaults', () => {
    expect(resolve({ kind: 'sgd', lr: 0.1 })).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0, nesterov: false, dampening: 0, weightDecay: 0 });
    expect(resolve({ kind: 'adam' })).toEqual({ kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    expect(resolve({ kind: 'adamw' })).toEqual({ kind: 'adamw', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 });
  });

  it('names the field and its valid values', () => {
    const cases: [unknown, RegExp][] = [
      [{ kind: 'rmsprop', lr: 1 }, /optimizer kind "rmsprop" is unknown; valid kinds: 'sgd', 'adam', 'adamw'/],
      [{ lr: 1 }, /optimizer kind undefined is unknown; valid kinds: 'sgd', 'adam', 'adamw'/],
      [{ kind: 'sgd' }, /sgd: lr is required/],
      [{ kind: 'sgd', lr: -0.1 }, /sgd: lr = -0.1 is invalid; valid values: a finite number ≥ 0/],
      [{ kind: 'adam', lr: NaN }, /adam: lr = NaN is invalid; valid values: a finite number ≥ 0/],
      [{ kind: 'adam', beta1: 1 }, /adam: beta1 = 1 is invalid; valid values: a number in \[0, 1\)/],
      [{ kind: 'adamw', beta2: -0.5 }, /adamw: beta2 = -0.5 is invalid; valid values: a number in \[0, 1\)/],
      [{ kind: 'adam', eps: 0 }, /adam: eps = 0 is invalid; valid values: a finite number > 0/],
      [{ kind: 'adam', weightDecay: -1 }, /adam: weightDecay = -1 is invalid; valid values: a finite number ≥ 0/],
      [{ kind: 'sgd', lr: 1, momentum: 1.5 }, /sgd: momentum = 1.5 is invalid; valid values: a number in \[0, 1\)/],
      [{ kind: 'sgd', lr: 1, dampening: 2 }, /sgd: dampening = 2 is invalid; valid values: a number in \[0, 1\]/],
      [{ kind: 'sgd', lr: 1, nesterov: 'yes' }, /sgd: nesterov = yes is invalid; valid values: true, false/],
      [{ kind: 'sgd', lr: 1, nesterov: true }, /sgd: nesterov requires momentum > 0 and dampening = 0/],
      [{ kind: 'sgd', lr: 1, momentum: 0.9, dampening: 0.1, nesterov: true }, /nesterov requires momentum > 0 and dampening = 0/],
      [{ kind: 'sgd', lr: 1, beta1: 0.9 }, /sgd: unknown option 'beta1'; valid options: kind, lr, momentum, nesterov, dampening, weightDecay/],
      [{ kind: 'adam', momentum: 0.9 }, /adam: unknown option 'momentum'; valid options: kind, lr, beta1, beta2, eps, weightDecay/],
    ];
    for (const [config, message] of cases) expect(() => resolve(config), JSON.stringify(config)).toThrow(message);
  });
});
