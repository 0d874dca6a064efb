/** The progress line names the probe being run after training, instead of sitting at 100 %. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../src/cli/progress';

afterEach(() => vi.restoreAllMocks());

describe('progress', () => {
  it('plain output: one line per 10 % of training, then one line per probe stage', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s: string) => { lines.push(s); });
    const p = new Progress(false);
    for (let step = 1; step <= 20; step++) p.update('Adam_Default seed 0', step / 20, `epoch ${step}`);
    p.stage('Adam_Default seed 0', 'probing: trace (Hutchinson, 16 probes per pass)');
    p.stage('Adam_Default seed 0', 'probing: spectral density (stochastic Lanczos quadrature)');
    expect(lines.filter((l) => l.includes('%'))).toHaveLength(11);
    expect(lines.slice(-2)).toEqual([
      'Adam_Default seed 0: probing: trace (Hutchinson, 16 probes per pass)',
      'Adam_Default seed 0: probing: spectral density (stochastic Lanczos quadrature)',
    ]);
  });

  it('terminal: the stage and its elapsed time replace the bar on the same line', () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { writes.push(String(s)); return true; });
    const p = new Progress(true);
    p.update('Flat_SGD_LowLR seed 2', 1, 'trained');
    p.stage('Flat_SGD_LowLR seed 2', 'probing: 1D slice along the top eigenvector');
    expect(writes.at(-1)).toMatch(/^\r\x1b\[KFlat_SGD_LowLR seed 2 +probing: 1D slice along the top eigenvector \(0s\)$/);
    const before = writes.length;
    vi.spyOn(console, 'error').mockImplementation(() => {});
    p.line('done');
    // A log line first clears the stage line.
    expect(writes[before]).toBe('\r\x1b[K');
  });
});
