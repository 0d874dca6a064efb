/** The edge-of-stability verdicts are read from the traces, whichever way they went. */
import { describe, expect, it } from 'vitest';
import { edgeVerdict } from '../../src/study/eos-report';

describe('edge-of-stability verdicts', () => {
  const threshold = 10;
  it('tells a trace that hovers at the threshold from one that falls below, stays below or ends above it', () => {
    expect(edgeVerdict([5, 8, 10.5, 9.8, 10.1, 9.9], threshold)).toMatch(/^reached the threshold and hovered there/);
    expect(edgeVerdict([5, 9, 12, 9, 7, 6], threshold)).toMatch(/^reached the threshold \(peak 1\.20×\), then fell below it \(end 0\.60×\)/);
    expect(edgeVerdict([5, 6, 7, 7.5], threshold)).toMatch(/^stayed below the threshold \(peak 0\.75×\)/);
    expect(edgeVerdict([9, 11, 13, 15], threshold)).toMatch(/^ended above the threshold/);
    expect(edgeVerdict([], threshold)).toBe('no measurements');
  });

  it('claims nothing about a trace of one or two points, and shows small ratios with their digits', () => {
    expect(edgeVerdict([4.2], threshold)).toBe('1 check only: λ/threshold 0.42×');
    expect(edgeVerdict([0.043, 0.05], threshold)).toBe('2 checks only: λ/threshold 0.0043×, 0.0050×');
    expect(edgeVerdict([0.01, 0.02, 0.043], threshold)).toMatch(/^stayed below the threshold \(peak 0\.0043×\)/);
  });
});
