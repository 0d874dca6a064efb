/** Stored results: 6 significant digits for measurements, settings and resume inputs kept exactly, lists of numbers on one line. */
import { describe, expect, it } from 'vitest';
import { roundForStorage, storedJson } from '../../src/study/rounding';

describe('stored floats', () => {
  const value = {
    loss: 0.123456789012, steps: 1240, name: 'Adam_Default', nan: NaN,
    density: { grid: [-0.2290021234567, 1e-7 / 3, 12345.678901], density: [Math.PI, 0, -Math.E] },
    inputs: { lr: 0.00123456789, probe: { rho: 0.0512345678 } },
    config: { train: { lossTarget: 0.0512345678 } },
  };

  it('rounds measurements to 6 significant digits and keeps integers, strings, settings and inputs exactly', () => {
    const r = roundForStorage(value);
    expect(r.loss).toBe(0.123457);
    expect(r.steps).toBe(1240);
    expect(r.name).toBe('Adam_Default');
    expect(r.nan).toBeNaN();
    expect(r.density.grid).toEqual([-0.229002, 3.33333e-8, 12345.7]);
    expect(r.density.density).toEqual([3.14159, 0, -2.71828]);
    expect(r.inputs).toBe(value.inputs);
    expect(r.config).toBe(value.config);
    // Idempotent: rounding a stored run again (a resumed study) changes nothing.
    expect(roundForStorage(r)).toEqual(r);
  });

  it('writes lists of numbers on one line and reads back the rounded values', () => {
    const text = storedJson(value);
    expect(text).toContain('"grid": [-0.229002, 3.33333e-8, 12345.7]');
    expect(text).toContain('"density": [3.14159, 0, -2.71828]');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(roundForStorage(value))));
  });
});
