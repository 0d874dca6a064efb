/**
 * The config schema and what is generated from it: configs/schema.json is the zod schema's JSON
 * Schema as of now, every shipped config file validates against both (and names the JSON Schema
 * with "$schema", which neither the config nor its resume hash sees), a retired key of an old file
 * is dropped with a warning, runs saved before probe.blockSize existed still resume, and
 * probe.blockSize is checked against its range and probe.topK.
 * Host only.
 */
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DEFAULT_CONFIG, defaultedSettings, mergeConfig, validateConfig, withoutRetiredSettings } from '../../src/study/config';
import { BLOCK_SIZE, ConfigFileSchema } from '../../src/study/config-schema';
import { configJsonSchema } from '../../src/study/config-json-schema';
import { hashOf, runInputs, savedRunMatches } from '../../src/study/run-study';

const configs = new URL('../../configs/', import.meta.url);
const readJson = async (name: string) => JSON.parse(await readFile(new URL(name, configs), 'utf8')) as Record<string, unknown>;
const bad = (patch: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, patch));

describe('configs/schema.json', () => {
  it('is the JSON Schema of the zod schema as it is now (npm run schema rewrites it)', async () => {
    expect(await readJson('schema.json')).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it('every shipped config names it and validates against it and against the zod schema', async () => {
    const names = (await readdir(configs)).filter((n) => n.endsWith('.json') && n !== 'schema.json');
    expect(names).toEqual(expect.arrayContaining(['default.json', 'full.json', 'sweep-full.json', 'sweep-tiny.json']));
    const validate = new Ajv2020({ allErrors: true }).compile(await readJson('schema.json'));
    for (const name of names) {
      const file = await readJson(name);
      expect(file.$schema, name).toBe('./schema.json');
      expect(validate(file), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(ConfigFileSchema.safeParse(file).error, name).toBeUndefined();
      expect(bad(file), name).not.toThrow();
    }
  });

  it('refuses, as the zod schema does, unknown keys, wrong types and values out of range', async () => {
    const validate = new Ajv2020().compile(await readJson('schema.json'));
    for (const patch of [{ probe: { sample: 1 } }, { seeds: [] }, { probe: { blockSize: 33 } }, { data: { source: 'cifar' } },
      { hidden: [64, 0] }, { eos: { etas: [0.1, -0.2] } }, { sweep: { optimizers: [], batchSizes: [32] } }, { probe: { lanczosSteps: 30 } }]) {
      expect(validate(patch), JSON.stringify(patch)).toBe(false);
      expect(bad(patch), JSON.stringify(patch)).toThrow(/^config: '/);
    }
    expect(validate({ probe: { blockSize: 8 }, $schema: './schema.json' })).toBe(true);
  });
});

describe('"$schema" in a config file', () => {
  it('is ignored: the merged config, its defaulted settings and every run\'s resume hash are those of the same file without it', () => {
    const patch = { seeds: [0, 1], probe: { topK: 3 } };
    const plain = mergeConfig(DEFAULT_CONFIG, patch);
    const named = mergeConfig(DEFAULT_CONFIG, { $schema: './schema.json', ...patch });
    expect(named).toEqual(plain);
    expect(defaultedSettings({ $schema: './schema.json', ...patch })).toEqual(defaultedSettings(patch));
    for (const run of plain.configurations) {
      for (const probed of [true, false]) {
        expect(hashOf(runInputs(named, run, 1, 'data', probed))).toBe(hashOf(runInputs(plain, run, 1, 'data', probed)));
      }
    }
  });
});

describe('runs saved before probe.blockSize was a setting', () => {
  it('resume under the default block size (their probe.lanczosSteps was read by no probe), and only under it', () => {
    const run = DEFAULT_CONFIG.configurations[1];
    const now = runInputs(DEFAULT_CONFIG, run, 0, 'data', true);
    const { blockSize, ...probe } = now.probe as Record<string, unknown>;
    expect(blockSize).toBe(16);
    const earlier = { ...now, probe: { ...probe, lanczosSteps: 30 } };
    const saved = { inputsHash: hashOf(earlier), inputs: earlier };
    expect(saved.inputsHash).not.toBe(hashOf(now));
    expect(savedRunMatches(saved, hashOf(now))).toBe(true);
    const eight = mergeConfig(DEFAULT_CONFIG, { probe: { blockSize: 8 } });
    expect(savedRunMatches(saved, hashOf(runInputs(eight, run, 0, 'data', true)))).toBe(false);
    const tol = mergeConfig(DEFAULT_CONFIG, { probe: { tol: 1e-4 } });
    expect(savedRunMatches(saved, hashOf(runInputs(tol, run, 0, 'data', true)))).toBe(false);
    // An unprobed run records only the chunk size of the probe settings: unchanged.
    const trained = runInputs(DEFAULT_CONFIG, run, 0, 'data', false);
    expect(savedRunMatches({ inputsHash: hashOf(trained), inputs: trained }, hashOf(trained))).toBe(true);
  });
});

describe('keys of earlier config files', () => {
  it('probe.lanczosSteps (read by no probe) is dropped from a file with a warning, and refused in a config built in code', () => {
    const { patch, warnings } = withoutRetiredSettings({ $schema: './schema.json', probe: { lanczosSteps: 30, topK: 5 } });
    expect(patch).toEqual({ $schema: './schema.json', probe: { topK: 5 } });
    expect(warnings).toEqual([expect.stringMatching(/^config: 'probe\.lanczosSteps' is no longer a setting \(.*probe\.blockSize.*\); ignored — remove it from the file$/)]);
    expect(() => validateConfig(mergeConfig(DEFAULT_CONFIG, patch))).not.toThrow();
    expect(withoutRetiredSettings({ probe: { topK: 5 } }).warnings).toEqual([]);
    expect(bad({ probe: { lanczosSteps: 30 } })).toThrow(/^config: 'probe\.lanczosSteps' is no longer a setting: .*; remove it$/);
  });
});

describe('probe.blockSize', () => {
  it('defaults to the block width the probes used before it was a setting', () => {
    expect(BLOCK_SIZE).toBe(16);
    expect(DEFAULT_CONFIG.probe.blockSize).toBe(BLOCK_SIZE);
  });

  it('is an integer from 1 to 32, at least probe.topK', () => {
    for (const blockSize of [0, 33, 2.5, '16']) {
      expect(bad({ probe: { blockSize } })).toThrow(new RegExp(`^config: 'probe\\.blockSize' must be an integer from 1 to 32 .*, got ${JSON.stringify(blockSize)}$`));
    }
    expect(bad({ probe: { blockSize: 4 } })).toThrow(/^config: 'probe\.topK' \(5\) must be at most probe\.blockSize \(4\)/);
    expect(bad({ probe: { blockSize: 2, topK: 2, noise: { directions: 2, bulk: 2 } } })).not.toThrow();
    expect(bad({ probe: { blockSize: 32, topK: 20 } })).not.toThrow();
    expect(bad({ probe: { blockSize: 1 } })).toThrow(/^config: 'probe\.topK' \(5\) must be at most probe\.blockSize \(1\)/);
    expect(bad({ probe: { blockSize: 1, topK: 1, noise: { directions: 1, bulk: 2 } } })).not.toThrow();
  });
});

describe('checks across fields', () => {
  it('name both fields and the fix', () => {
    expect(bad({ probe: { traceSamples: 80 } })).toThrow(/^config: 'probe\.traceMaxSamples' \(64\) must be at least probe\.traceSamples \(80\)$/);
    expect(bad({ probe: { lambdaMin: { pairs: 50 } } })).toThrow(/^config: 'probe\.lambdaMin\.steps' \(40\) must be at least probe\.lambdaMin\.pairs \(50\)$/);
    expect(bad({ probe: { slice: { from: 1 } } })).toThrow(/^config: 'probe\.slice' needs from < to, got 1\.\.1$/);
    expect(bad({ logEvery: 30 })).toThrow(/^config: 'probe\.duringEvery' \(125\) must be a multiple of logEvery \(30\)/);
    expect(bad({ configurations: [{ name: 'A', optimizer: { kind: 'sgd', lr: 0.1 } }, { name: 'A', optimizer: { kind: 'adam' } }] }))
      .toThrow(/^config: 'configurations\[1\]\.name' 'A' is used twice$/);
  });

  it('report an unknown key before anything it may have caused', () => {
    expect(bad({ probe: { topk: 3, blockSize: 1 } })).toThrow(/^config: 'probe\.topk' is not a known setting \(did you mean 'topK'\?\)/);
  });
});
