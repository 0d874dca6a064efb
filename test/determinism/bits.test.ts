/**
 * Same computation, same bits: a short training run and λmax by power iteration (test/support/bit-run.ts)
 * give identical bits twice in one process, on a second device of the same process, in two fresh
 * processes (their first call included), and in a fresh process whose user tile table picks other
 * tiles for every product and asks for the other HVP backward — tiles change speed, never results,
 * and the backward's form comes from the shipped table alone (src/gpu/ops/matmul-tiles.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';
import { bitRun, type BitPrint } from '../support/bit-run';
import { useGpu } from '../support/gpu';

const run = promisify(execFile);
const gpu = useGpu();
const dir = mkdtempSync(join(tmpdir(), 'bits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freshProcess(env: Record<string, string> = {}): Promise<BitPrint> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/support/bit-run.ts'], {
    env: { ...process.env, ...env }, maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as BitPrint;
}

// Every product class on other tiles than any shipped entry's: small staged tiles, the 8-row direct block for duals.
const OTHER_TILES = {
  entries: [{
    name: 'determinism test', pattern: '',
    tiles: {
      default: { wgM: 4, wgN: 8, tileK: 5 },
      nt: { variant: 'direct', wgM: 1, wgN: 4, tileK: 1 },
      'nn-dual': { variant: 'direct', wgM: 1, wgN: 16, tileK: 1 },
      'nt-dual': { wgM: 8, wgN: 4, tileK: 7 },
      'tn-dual': { variant: 'direct', rows: 2, wgM: 1, wgN: 8, tileK: 1 },
    },
    splitK: { minWorkgroups: 1000, minChunk: 1 },
    // Ignored by design: the tangent-product form changes the rounding, so only the shipped table sets it.
    tangentProducts: 'dual',
  }],
};

describe('bit-identical runs', () => {
  let first: BitPrint;

  it('twice in one process, and on a second device of the same process', async () => {
    first = await bitRun(gpu());
    expect(first.lambdas.length).toBeGreaterThan(2);
    expect(await bitRun(gpu())).toEqual(first);
    const second = await acquireDevice({ log: () => {} });
    try {
      expect(await bitRun(second)).toEqual(first);
    } finally {
      second.destroy();
    }
  });

  it('in two fresh processes, their first call included', async () => {
    expect(await freshProcess()).toEqual(first);
    expect(await freshProcess()).toEqual(first);
  });

  it('with a user tile table that runs every product on other tiles (and asks for other K splits)', async () => {
    const table = join(dir, 'tiles.json');
    writeFileSync(table, JSON.stringify(OTHER_TILES));
    expect(await freshProcess({ HESSIAN_GPU_TILES: table })).toEqual(first);
  });
});
