import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { LimitError, ShaderError } from '../../src/gpu/errors';
import { useGpu } from '../support/gpu';

const gpu = useGpu();

describe('device and kernel registry', () => {
  it('reports the adapter it got', () => {
    const a = gpu().adapter;
    expect(a.runtime).toBe('node-dawn');
    expect(a.description.length + a.vendor.length).toBeGreaterThan(0);
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(a.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    expect(typeof a.software).toBe('boolean');
  });

  it('names the file, entry point and line:col of a WGSL compile error', async () => {
    const g = gpu();
    const code = 'override WG: u32 = 64u;\n@compute @workgroup_size(WG)\nfn broken() {\n  let x: f32 = undefined_thing;\n}\n';
    const source = { file: 'broken.wgsl', code, locate: (line: number) => ({ file: 'broken.wgsl', line }) };
    const err = await g.compile(source, { file: 'matmul.wgsl', entry: 'broken', bindings: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(ShaderError);
    expect(err.message).toMatch(/WGSL compile error in broken in shaders\/broken\.wgsl/);
    expect(err.message).toMatch(/shaders\/broken\.wgsl:4:\d+: .*undefined_thing/);
  });

  it('reports a missing entry point as a pipeline error naming it', async () => {
    const err = await gpu().kernel({ file: 'elementwise.wgsl', entry: 'no_such_entry', bindings: ['uniform'] }).catch((e) => e);
    expect(err).toBeInstanceOf(ShaderError);
    expect(err.message).toMatch(/no_such_entry in shaders\/elementwise\.wgsl/);
  });

  it('caches pipelines by code-changing keys only', async () => {
    const g = gpu();
    const spec = { file: 'elementwise.wgsl', entry: 'axpby', bindings: ['uniform', 'read', 'read', 'storage'], overrides: { WG: 256, COEF: 0 } } as const;
    const a = await g.kernel(spec);
    const b = await g.kernel({ ...spec, overrides: { COEF: 0, WG: 256 } });
    const c = await g.kernel({ ...spec, overrides: { WG: 256, COEF: 1 } });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('refuses a tensor larger than maxStorageBufferBindingSize with a clear message', () => {
    const g = gpu();
    const limit = g.limits.maxStorageBufferBindingSize;
    const elements = Math.floor(limit / 4) + 1;
    expect(() => Tensor.create(g, [elements, 1], { label: 'too-big' })).toThrow(LimitError);
    expect(() => Tensor.create(g, [elements], { label: 'too-big' })).toThrow(/'too-big'.*maxStorageBufferBindingSize is \d+ bytes.*Fix:/);
  });

  it('round-trips data and poisons with NaN', async () => {
    const g = gpu();
    const t = Tensor.create(g, [7], { fill: NaN });
    expect([...(await t.read())].every(Number.isNaN)).toBe(true);
    t.write([1, 2, 3], 2);
    expect([...(await t.read(2, 3))]).toEqual([1, 2, 3]);
    expect(() => t.write([1, 2, 3], 5)).toThrow(/overruns its 7 elements/);
    t.destroy();
  });
});
