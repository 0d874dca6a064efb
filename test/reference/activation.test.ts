/**
 * The scalar activations and their first two derivatives, checked against central differences:
 * the HVP's φ″ term is only as right as these are, and gelu's closed forms are easy to get wrong.
 */
import { describe, expect, it } from 'vitest';
import { activate, activateCurv, activateGrad, type Activation } from '../../src/autograd/reference';
import { expectClose } from '../support/compare';

const EPS = 1e-5;
// Grid over [−4, 4] that steps over 0, so relu's kink is never straddled by ±EPS.
const POINTS = Array.from({ length: 40 }, (_, i) => -4 + (i + 0.5) * 0.2);

function centralDiff(f: (z: number) => number): number[] {
  return POINTS.map((z) => (f(z + EPS) - f(z - EPS)) / (2 * EPS));
}

describe.each<Activation>(['relu', 'tanh', 'gelu'])('%s derivatives', (act) => {
  it('φ′ matches central differences of φ', () => {
    expectClose(POINTS.map((z) => activateGrad(act, z)), centralDiff((z) => activate(act, z)), { atol: 1e-9, rtol: 1e-8 }, `${act} φ′`);
  });

  it('φ″ matches central differences of φ′', () => {
    expectClose(POINTS.map((z) => activateCurv(act, z)), centralDiff((z) => activateGrad(act, z)), { atol: 1e-9, rtol: 1e-8 }, `${act} φ″`);
  });
});

describe('known values', () => {
  it('gelu is the tanh approximation', () => {
    expect(activate('gelu', 0)).toBe(0);
    expect(activateGrad('gelu', 0)).toBe(0.5);
    const z = 1.3;
    const expected = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    expect(activate('gelu', z)).toBe(expected);
    // Far out it is the identity on the right and 0 on the left.
    expect(activate('gelu', 10)).toBeCloseTo(10, 12);
    expect(activate('gelu', -10)).toBeCloseTo(0, 12);
  });

  it('relu takes φ′(0) = 0 and φ″ = 0', () => {
    expect(activate('relu', -2)).toBe(0);
    expect(activate('relu', 2)).toBe(2);
    expect(activateGrad('relu', 0)).toBe(0);
    expect(activateGrad('relu', 1e-300)).toBe(1);
    expect(activateCurv('relu', 0.7)).toBe(0);
  });
});
