/**
 * Stopping a study the ways users do, through the exact `npm start` path: Ctrl-C in a terminal
 * (SIGINT to the whole process group, which npm also forwards to the study) and a batch system's
 * SIGTERM to the process it started (npm, which forwards it). Either way the finished runs are kept
 * and the partial report is written.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CONFIG = {
  hidden: [8], batchSize: 100, train: { maxEpochs: 1, lossTarget: 0.05 }, seeds: [0, 1, 2],
  configurations: [{ name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } }],
  logEvery: 5,
  probe: {
    samples: 200, chunkSize: 500, maxIter: 10, topK: 2, traceSamples: 2, densitySteps: 6,
    perturbation: { rho: 0.05, samples: 2 }, slice: { from: -1, to: 1, steps: 3 }, duringEvery: 0,
    noise: { directions: 0 }, invariant: { samples: 2, steps: 1, flatnessSamples: 0, rescaleAlpha: 0 },
  },
  eos: { enabled: false },
};

/** Runs `npm start` in its own process group; once the first run has finished, `stop` signals it; resolves with the exit code and output. */
function studyStoppedBy(stop: (npmPid: number) => void): Promise<{ code: number | null; out: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hessian-signal-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  const child = spawn('npm', ['start', '--', '--config', join(dir, 'config.json'), '--out', join(dir, 'study')], { detached: true, stdio: 'pipe' });
  let out = '';
  let sent = false;
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
    if (!sent && /Adam_Default seed 0: test acc/.test(out)) {
      sent = true;
      stop(child.pid!);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, dir: join(dir, 'study') })));
}

function expectPartialReport(dir: string) {
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  expect(results.partial).toBe(true);
  expect(results.runs.map((r: { seed: number }) => r.seed)).toContain(0);
  expect(results.missing.length).toBeGreaterThan(0);
  expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/Partial report: \d of 3 runs are missing/);
}

describe('stopping npm start', { timeout: 600_000 }, () => {
  it('Ctrl-C (SIGINT to the process group) keeps the finished run and writes the partial report', async () => {
    const { code, out, dir } = await studyStoppedBy((pid) => process.kill(-pid, 'SIGINT'));
    expect(out).toMatch(/SIGINT: stopping after the current step and writing the partial report/);
    expect(out).toMatch(/wrote .*results\.json/);
    expect(code).not.toBe(0);
    expectPartialReport(dir);
  });

  it('SIGTERM to npm (a batch system\'s time limit) does the same', async () => {
    const { code, out, dir } = await studyStoppedBy((pid) => process.kill(pid, 'SIGTERM'));
    expect(out).toMatch(/SIGTERM: stopping after the current step/);
    expect(code).not.toBe(0);
    expectPartialReport(dir);
  });
});
