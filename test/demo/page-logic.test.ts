/**
 * The demo page's logic that needs no browser: the number format, the settings' URL form and the
 * reference rule, and reading results files (the page's export shape and a CLI study's results.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { num, pct, withInterval } from '../../demo/format';
import { DEFAULTS, hasReferenceSettings, parseSettings, settingsParams } from '../../demo/settings';
import { EXPORT_FORMAT, readResults } from '../../demo/results-file';
import { RESULTS_SCHEMA_VERSION } from '../../src/study/results-schema';

describe('demo number format', () => {
  it('uses significant digits, exponents far from 1, a dash for missing values and intervals for estimates', () => {
    expect([num(43.75), num(0.0004), num(9.382e-4), num(2.3456789), num(12345678), num(640), num(0)])
      .toEqual(['43.75', '4e-4', '9.382e-4', '2.346', '1.235e+7', '640', '0']);
    expect([pct(0.2383), pct(NaN), pct(null)]).toEqual(['23.83 %', '—', '—']);
    expect([withInterval(51.314, { low: 47.21, high: 55.66 }), withInterval(51.314, undefined), withInterval(undefined, { low: 1, high: 2 })])
      .toEqual(['51.31 [47.2, 55.7]', '51.31', '—']);
  });
});

describe('demo settings', () => {
  it('round-trips through the URL, writing only what differs from the preset', () => {
    const s = { ...parseSettings(new URLSearchParams('config=Sharp_SGD_HighLR')), hidden: 24, lr: 0.05, plane: 'eigen' as const };
    const params = settingsParams(s);
    expect(Object.fromEntries(params)).toEqual({ config: 'Sharp_SGD_HighLR', hidden: '24', lr: '0.05', plane: 'eigen' });
    expect(parseSettings(params)).toEqual(s);
  });

  it('names a bad field by its label and says what it accepts', () => {
    expect(() => parseSettings(new URLSearchParams('lr=0'))).toThrow('Learning rate (lr): "0" is not valid; it must be a finite number > 0');
    expect(() => parseSettings(new URLSearchParams('plane=eigen&topK=1'))).toThrow(/2D plane "top two Hessian eigenvectors" needs Top-k eigenvalues ≥ 2/);
  });

  it('compares with the reference study only at its settings', () => {
    expect(hasReferenceSettings(DEFAULTS)).toBe(true);
    expect(hasReferenceSettings({ ...DEFAULTS, seed: 3 })).toBe(true);
    expect(hasReferenceSettings({ ...DEFAULTS, hidden: 16 })).toBe(false);
    expect(hasReferenceSettings({ ...DEFAULTS, epochs: 2, train: 512 })).toBe(false);
    expect(hasReferenceSettings({ ...DEFAULTS, lr: DEFAULTS.lr * 2 })).toBe(false);
  });
});

describe('demo results files', () => {
  it("reads a CLI study's results.json as runs to view", () => {
    const text = readFileSync(new URL('../../docs/study/results.json', import.meta.url), 'utf8');
    const study = JSON.parse(text);
    const runs = readResults(text, 'results.json', 3);
    expect(runs).toHaveLength(study.runs.length);
    expect(runs[0].label).toBe(`#3 ${study.runs[0].configuration} s${study.runs[0].seed}`);
    expect(runs[0].widths).toEqual([784, ...study.config.hidden, 10]);
    expect(runs[0].activation).toBe(study.config.activation);
    expect(runs[0].result.sharpness?.lambdaMax).toBe(study.runs[0].sharpness.lambdaMax);
    expect(runs.every((r) => r.origin === 'loaded' && !r.reference)).toBe(true);
  });

  it('refuses a JSON that is neither, naming the file', () => {
    expect(() => readResults('{"runs": 3}', 'other.json', 1)).toThrow(new RegExp(`other\\.json: neither a JSON exported by this page \\(format "${EXPORT_FORMAT}"\\)`));
    expect(() => readResults('nope', 'bad.json', 1)).toThrow(/bad\.json: not JSON/);
  });

  it('refuses a study results file of a newer schema version than the page reads, saying to update', () => {
    const study = JSON.parse(readFileSync(new URL('../../docs/study/results.json', import.meta.url), 'utf8'));
    const newer = JSON.stringify({ ...study, schemaVersion: RESULTS_SCHEMA_VERSION + 1 });
    expect(() => readResults(newer, 'new.json', 1)).toThrow(/new\.json has results schema version \d+, written by a newer hessian-gpu.*Fix: update hessian-gpu/);
  });
});
