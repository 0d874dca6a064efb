/**
 * The side-by-side benchmark (bench/peers) on tiny shapes: it completes, every time is finite and
 * positive, and each peer agrees with the engine on the same inputs. Speed is not checked.
 * A peer that cannot run here at all (every row unavailable) must say why, and only then are its
 * checks skipped; one op failing while others run is a failure, not a skip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGpu } from '../support/gpu';
import { benchPeers, closePeers, type MeasuredRow, type PeerReport } from '../../src/bench/peers/index';
import { findTorch } from '../../src/bench/peers/torch';

const gpu = useGpu();

// Shapes off the kernels' tile multiples, a one- and a two-hidden-layer MLP.
const TINY = {
  matmuls: [[37, 21, 19], [64, 48, 130]] as [number, number, number][],
  mlps: [[20, 16, 10], [12, 9, 7, 10]],
  batch: 16,
  samples: 40,
  warmup: 1,
  repeats: 2,
  lambdaRepeats: 1,
};

describe('peer benchmarks: TF.js and jax-js beside the engine (same process and adapter), PyTorch CPU for context', () => {
  let report: PeerReport;
  beforeAll(async () => {
    report = await benchPeers(gpu(), TINY);
  });
  afterAll(closePeers);

  it('leaves no navigator behind and names the peers\' adapter', () => {
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    expect(report.peerAdapter).not.toBe('none');
  });

  it('PyTorch CPU: absent torch, every row says why and how to install it', async () => {
    const saved = process.env.HESSIAN_GPU_PYTHON;
    process.env.HESSIAN_GPU_PYTHON = '/nonexistent/python3';
    try {
      const found = await findTorch();
      expect('unavailable' in found && found.unavailable).toMatch(/PyTorch not importable \(\/nonexistent\/python3: .+\); install it with/);
    } finally {
      if (saved === undefined) delete process.env.HESSIAN_GPU_PYTHON;
      else process.env.HESSIAN_GPU_PYTHON = saved;
    }
  });

  for (const peer of ['TF.js', 'jax-js', 'PyTorch CPU'] as const) {
    it(`${peer}: finite positive times, agreement with the engine`, (ctx) => {
      const rows = report.rows.filter((r) => r.peer === peer);
      expect(rows.length).toBeGreaterThan(0);
      const unavailable = rows.flatMap((r) => ('unavailable' in r ? [r.unavailable] : []));
      if (unavailable.length === rows.length) {
        for (const why of unavailable) expect(why.trim()).not.toBe('');
        console.warn(`skipping ${peer}: ${unavailable.join('; ')}`);
        ctx.skip(`${peer} unavailable: ${unavailable.join('; ')}`);
      }
      expect(unavailable).toEqual([]);
      for (const r of rows as MeasuredRow[]) {
        for (const ms of [r.oursMs, r.oursGpuMs, r.theirsMs, r.ratio]) {
          expect(Number.isFinite(ms) && ms > 0, `${r.op} ${r.shape}: ${ms}`).toBe(true);
        }
        // λmax: both sides stop at a relative tolerance of 1e-4 (same start, same rule), so agree to about that.
        expect(r.maxRelErr, `${r.op} ${r.shape}`).toBeLessThan(r.op === 'λmax' ? 1e-3 : 1e-4);
      }
    });
  }
});
