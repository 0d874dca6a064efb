/**
 * The host ↔ WGSL contract (src/gpu/uniform.ts): uniforms are packed by field name, and a kernel
 * whose descriptor disagrees with its shader — a field moved, missing or retyped, a binding of the
 * wrong kind — is refused when its pipeline is built, with an error naming the kernel and the field.
 */
import { describe, expect, it } from 'vitest';
import { ContractError, ShaderError } from '../../src/gpu/errors';
import { packUniform, uniformLayout } from '../../src/gpu/uniform';
import { useGpu } from '../support/gpu';

const gpu = useGpu();

// reduce.wgsl's Params, as its op file declares it.
const PARAMS = uniformLayout('Params', { n: 'u32', x_off: 'u32', y_off: 'u32', slot: 'u32', scale: 'f32' });
const BINDINGS = ['uniform', 'read', 'read', 'storage'] as const;
const spec = { file: 'reduce.wgsl', entry: 'partial', bindings: BINDINGS, overrides: { WG: 256, MODE: 0 } } as const;

describe('uniforms packed by name', () => {
  it('writes each field at its declared position with its type', () => {
    const view = new DataView(packUniform(PARAMS, { scale: -0.5, slot: 3, y_off: 2, x_off: 1, n: 7 }));
    expect(view.byteLength).toBe(32);
    expect([0, 1, 2, 3].map((i) => view.getUint32(4 * i, true))).toEqual([7, 1, 2, 3]);
    expect(view.getFloat32(16, true)).toBe(-0.5);
  });

  it('refuses a missing, unknown or out-of-range value, naming the field', () => {
    const values = { n: 7, x_off: 1, y_off: 2, slot: 3, scale: 1 };
    const { slot: _, ...missing } = values;
    expect(() => packUniform(PARAMS, missing as typeof values, 'reduce')).toThrow(new ContractError("reduce: uniform Params field 'slot' has no value (got undefined)"));
    expect(() => packUniform(PARAMS, { ...values, offset: 4 } as typeof values, 'reduce')).toThrow(/reduce: uniform Params has no field 'offset'/);
    expect(() => packUniform(PARAMS, { ...values, n: -1 }, 'reduce')).toThrow(/field 'n' = -1 is not a u32/);
    expect(() => packUniform(PARAMS, { ...values, x_off: 1.5 }, 'reduce')).toThrow(/field 'x_off' = 1.5 is not a u32/);
  });
});

describe('descriptors checked against the WGSL when the pipeline is built', () => {
  it('accepts the declared layout', async () => {
    const kernel = await gpu().kernel({ ...spec, uniform: PARAMS });
    expect(kernel.spec.uniform).toBe(PARAMS);
  });

  it('refuses a misordered descriptor, naming the kernel and the field', async () => {
    const swapped = uniformLayout('Params', { x_off: 'u32', n: 'u32', y_off: 'u32', slot: 'u32', scale: 'f32' });
    const err = await gpu().kernel({ ...spec, uniform: swapped }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err).toBeInstanceOf(ShaderError);
    expect(err.message).toMatch(/^partial in shaders\/reduce\.wgsl: uniform Params field 0 is 'n: u32' in the shader but 'x_off: u32' in the host descriptor/);
  });

  it('refuses a missing field, an extra field and a retyped field', async () => {
    const g = gpu();
    const missing = uniformLayout('Params', { n: 'u32', x_off: 'u32', y_off: 'u32', slot: 'u32' });
    await expect(g.kernel({ ...spec, uniform: missing })).rejects.toThrow(/uniform Params field 4 'scale: f32' is missing from the host descriptor/);
    const extra = uniformLayout('Params', { n: 'u32', x_off: 'u32', y_off: 'u32', slot: 'u32', scale: 'f32', alpha: 'f32' });
    await expect(g.kernel({ ...spec, uniform: extra })).rejects.toThrow(/packs field 'alpha' at position 5 but uniform Params in the shader ends before it/);
    const retyped = uniformLayout('Params', { n: 'u32', x_off: 'u32', y_off: 'u32', slot: 'u32', scale: 'u32' });
    await expect(g.kernel({ ...spec, uniform: retyped })).rejects.toThrow(/field 4 is 'scale: f32' in the shader but 'scale: u32'/);
  });

  it('refuses another struct and a binding of the wrong kind', async () => {
    const g = gpu();
    const col = uniformLayout('ColParams', { rows: 'u32', cols: 'u32', a_off: 'u32', ld: 'u32', out_off: 'u32', scale: 'f32' });
    // reduce.wgsl binds both structs at 0 (for different entries), so the struct is checked by name.
    await expect(g.kernel({ ...spec, uniform: col })).resolves.toBeDefined();
    const stranger = uniformLayout('Shape', { n: 'u32' });
    await expect(g.kernel({ ...spec, uniform: stranger })).rejects.toThrow(/packs uniform Shape but the shader's uniform binding is Params or ColParams|packs uniform Shape but the shader's uniform binding is ColParams or Params/);
    await expect(g.kernel({ ...spec, bindings: ['uniform', 'storage', 'read', 'storage'], uniform: PARAMS }))
      .rejects.toThrow(/partial in shaders\/reduce\.wgsl: binding 1 \('\w+'\) is var<storage, read> in the shader but the host binds it as 'storage'/);
  });
});
