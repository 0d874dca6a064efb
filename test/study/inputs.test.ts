/**
 * What a study refuses before any GPU work, and what its resume hash covers. Host only: the
 * checks run on the config and the loaded data's shape.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, checkDataFits, defaultedSettings, mergeConfig, validateConfig, type StudyConfig } from '../../src/study/config';
import { hashOf, loadSplit, runInputs } from '../../src/study/run-study';

const SHAPE = { features: 784, classes: 10, trainCount: 500, testCount: 2000 };

/** Every leaf of an object (lists count as leaves), with its path. */
function leaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [path];
}

/** A different value of the same kind. */
function changed(v: unknown): unknown {
  if (typeof v === 'number') return v === 0 ? 1 : v * 2;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return `${v}x`;
  if (Array.isArray(v)) return [...v, v.at(-1) ?? 1];
  return { changed: true };
}

function withLeaf(config: StudyConfig, path: string[], value: unknown): StudyConfig {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[path.at(-1)!] = value;
  return copy as unknown as StudyConfig;
}

describe('the resume hash', () => {
  const run = DEFAULT_CONFIG.configurations[2];
  const hash = (c: StudyConfig, probed = true) => hashOf(runInputs(c, c.configurations[2], 0, 'data', probed));

  it('changes with every leaf setting of the config that reaches a run', () => {
    const paths = leaves(DEFAULT_CONFIG).filter((p) => !['configurations', 'seeds', 'sweep'].includes(p[0]));
    expect(paths.length).toBeGreaterThan(40);
    const base = hash(DEFAULT_CONFIG);
    const missed = paths.filter((p) => {
      const at = p.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], DEFAULT_CONFIG);
      return hash(withLeaf(DEFAULT_CONFIG, p, changed(at))) === base;
    });
    expect(missed.map((p) => p.join('.'))).toEqual([]);
    // The run's own optimizer and batch size, and its seed.
    for (const key of ['lr', 'weightDecay', 'momentum'] as const) {
      const c = withLeaf(DEFAULT_CONFIG, ['configurations', '2', 'optimizer', key], 0.3);
      expect(hash(c), key).not.toBe(base);
    }
    expect(hash(withLeaf(DEFAULT_CONFIG, ['configurations', '2', 'batchSize'], 7))).not.toBe(base);
    expect(hashOf(runInputs(DEFAULT_CONFIG, run, 1, 'data', true))).not.toBe(base);
  });

  it('is the same for the same settings written differently, and ignores the other runs and seeds', () => {
    const base = hash(DEFAULT_CONFIG);
    const explicit = withLeaf(DEFAULT_CONFIG, ['configurations', '2', 'optimizer', 'momentum'], 0);
    expect(hash(explicit)).toBe(base);
    expect(hash(mergeConfig(DEFAULT_CONFIG, { seeds: [0, 5] }))).toBe(base);
    expect(hash(withLeaf(DEFAULT_CONFIG, ['configurations', '0', 'optimizer', 'lr'], 0.5))).toBe(base);
  });

  it('of an unprobed (train command) run ignores the probe settings its training does not read', () => {
    const base = hash(DEFAULT_CONFIG, false);
    expect(hash(mergeConfig(DEFAULT_CONFIG, { probe: { tol: 1e-5 } }), false)).toBe(base);
    expect(hash(mergeConfig(DEFAULT_CONFIG, { eos: { powerIters: 9 } }), false)).toBe(base);
    expect(hash(mergeConfig(DEFAULT_CONFIG, { probe: { chunkSize: 100 } }), false)).not.toBe(base);
  });
});

describe('settings checked against the data, before any GPU work', () => {
  const fits = (patch: unknown) => () => checkDataFits(mergeConfig(DEFAULT_CONFIG, patch), SHAPE);

  it('accepts the default', () => expect(fits({})).not.toThrow());

  it('refuses a sample count larger than the training set instead of clamping it', () => {
    expect(fits({ probe: { samples: 100000 } })).toThrow(/'probe\.samples' asks for 100000 samples but there are 500; lower it to at most 500, or 0 for all/);
    expect(fits({ probe: { duringSamples: 600 } })).toThrow(/'probe\.duringSamples' asks for 600 samples but there are 500; lower it to at most 500$/);
    expect(fits({ eos: { samples: 501 } })).toThrow(/'eos\.samples' asks for 501/);
    // Settings of a part that is off are not held against the data.
    expect(fits({ eos: { enabled: false, samples: 501 }, probe: { duringEvery: 0, duringSamples: 600 } })).not.toThrow();
  });

  it('refuses data.trainSamples beyond the training split', async () => {
    const config = mergeConfig(DEFAULT_CONFIG, { data: { ...DEFAULT_CONFIG.data, trainSamples: 100000 } });
    await expect(loadSplit(config)).rejects.toThrow(/'data\.trainSamples' asks for 100000 samples but there are 8000; lower it to at most 8000, or 0 for all/);
    expect((await loadSplit(mergeConfig(DEFAULT_CONFIG, { data: { ...DEFAULT_CONFIG.data, trainSamples: 8000 } }))).train.count).toBe(8000);
  });

  it('refuses a loss target a uniform guess already meets', () => {
    expect(fits({ train: { lossTarget: 1e9 } })).toThrow(/'train\.lossTarget' \(1000000000\) is not below ln\(10\) = 2\.3026, the loss of a uniform guess/);
    expect(fits({ train: { lossTarget: Math.log(10) } })).toThrow(/not below ln\(10\)/);
    expect(fits({ train: { lossTarget: 2.3 } })).not.toThrow();
  });
});

describe('config files as users write them', () => {
  it('the shipped presets give every section themselves, so nothing of the small default leaks into a full-size run', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const name of ['full.json', 'sweep-full.json']) {
      const patch = JSON.parse(await readFile(new URL(`../../configs/${name}`, import.meta.url), 'utf8'));
      expect(defaultedSettings(patch), name).toEqual([]);
    }
    expect(defaultedSettings({ probe: { samples: 10, invariant: { rho: 1 } } })).toEqual(expect.arrayContaining(['eos', 'probe.noise', 'probe.invariant.eta', 'data']));
    expect(defaultedSettings({ probe: { samples: 10 } })).not.toContain('probe.samples');
  });

  it("a data section without 'source' says that sections replace the default data whole", () => {
    expect(() => mergeConfig(DEFAULT_CONFIG, { data: { trainSamples: 1000 } }))
      .toThrow(/'data' replaces the default data section whole .* so it needs a 'source' \('mnist-10k', 'mnist', 'idx'\)/);
  });
});

describe('settings checked on their own', () => {
  const bad = (patch: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, patch));

  it('refuses a during-training spacing that the log points cannot honour', () => {
    expect(bad({ probe: { duringEvery: 10 } })).toThrow(/'probe\.duringEvery' \(10\) must be a multiple of logEvery \(25\): .*use 25 or 50, or 0 for none/);
    expect(bad({ probe: { duringEvery: 130 } })).toThrow(/use 125 or 150/);
    expect(bad({ probe: { duringEvery: 150 } })).not.toThrow();
    expect(bad({ probe: { duringEvery: 0 } })).not.toThrow();
  });
});
