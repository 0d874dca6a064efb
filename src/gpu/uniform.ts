/**
 * The host ↔ WGSL contract of a kernel, declared once and checked by name. A UniformLayout lists
 * a WGSL uniform struct's fields in order with their scalar types, under the names the WGSL uses;
 * the host packs values by those names (a missing or unknown name is an error, never a zero), and
 * when a pipeline is built (Gpu.compile) the layout and the kernel's binding kinds are compared
 * with the shader's own declarations — so a field moved on one side only is a ContractError naming
 * the kernel and the field, not a silently wrong number.
 */
import { ContractError } from './errors';
import type { BindingKind } from './context';

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformLayout<F extends string = string> {
  /** The WGSL struct's name. */
  struct: string;
  /** Field names in declaration order, each with its WGSL scalar type. */
  fields: readonly (readonly [F, ScalarType])[];
}

/** Declare a struct's fields in WGSL order: uniformLayout('Params', { n: 'u32', scale: 'f32' }). */
export function uniformLayout<const F extends string>(struct: string, fields: Record<F, ScalarType>): UniformLayout<F> {
  return { struct, fields: Object.entries(fields) as [F, ScalarType][] };
}

/** Values for every field of a layout, by name. */
export type UniformValues<F extends string> = Record<F, number>;
/** The values a given layout packs. */
export type ValuesOf<L> = L extends UniformLayout<infer F> ? UniformValues<F> : never;

/** The fields of a layout packed as 32-bit words in declaration order (a uniform buffer's 16-byte multiple). */
export function packUniform<F extends string>(layout: UniformLayout<F>, values: UniformValues<F>, owner = layout.struct): ArrayBuffer {
  const known = new Set<string>(layout.fields.map(([name]) => name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) throw new ContractError(`${owner}: uniform ${layout.struct} has no field '${name}' (fields: ${[...known].join(', ')})`);
  }
  const data = new ArrayBuffer(Math.max(16, Math.ceil((layout.fields.length * 4) / 16) * 16));
  const view = new DataView(data);
  layout.fields.forEach(([name, type], i) => {
    const v = (values as Record<string, number | undefined>)[name];
    if (typeof v !== 'number') {
      throw new ContractError(`${owner}: uniform ${layout.struct} field '${name}' has no value (got ${String(v)})`);
    }
    if (type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ContractError(`${owner}: uniform ${layout.struct} field '${name}' = ${v} is not a u32`);
      view.setUint32(i * 4, v, true);
    } else if (type === 'i32') {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new ContractError(`${owner}: uniform ${layout.struct} field '${name}' = ${v} is not an i32`);
      view.setInt32(i * 4, v, true);
    } else view.setFloat32(i * 4, v, true);
  });
  return data;
}

/** What the shader source declares: its structs' fields and its group-0 bindings. */
interface Declarations {
  structs: Map<string, [string, string][]>;
  bindings: { index: number; kind: 'uniform' | 'read' | 'read_write'; name: string; type: string }[];
}

function declarations(code: string): Declarations {
  const text = code.replace(/\/\/[^\n]*/g, '');
  const structs = new Map<string, [string, string][]>();
  for (const m of text.matchAll(/\bstruct\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields = m[2].split(',').map((f) => f.trim()).filter(Boolean).map((f) => {
      const [name, type] = f.split(':').map((s) => s.trim());
      return [name.replace(/^@\w+(\([^)]*\))?\s*/, ''), type] as [string, string];
    });
    structs.set(m[1], fields);
  }
  const bindings: Declarations['bindings'] = [];
  const re = /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*(uniform|storage\s*(?:,\s*(read|read_write))?)\s*>\s*(\w+)\s*:\s*([^;]+);/g;
  for (const m of text.matchAll(re)) {
    const kind = m[2] === 'uniform' ? 'uniform' : m[3] === 'read_write' ? 'read_write' : 'read';
    bindings.push({ index: Number(m[1]), kind, name: m[4], type: m[5].trim() });
  }
  return { structs, bindings };
}

const WGSL_KIND = { uniform: 'uniform', read: 'read', storage: 'read_write' } as const;

/**
 * Throws a ContractError unless the shader declares what the host binds: at every binding index of
 * `bindings`, each declaration there has that kind, and (when the kernel declares its uniform
 * layout, as every engine kernel does) the uniform binding's struct is `uniform`, field for field
 * (names and types in order). Bindings the module declares past the host's list
 * belong to other entry points of the same file.
 */
export function checkContract(kernel: string, code: string, bindings: readonly BindingKind[], uniform: UniformLayout | undefined): void {
  const decl = declarations(code);
  const fix = 'Fix: make the host descriptor and the WGSL declaration list the same fields in the same order.';
  bindings.forEach((kind, index) => {
    const there = decl.bindings.filter((b) => b.index === index);
    if (there.length === 0) throw new ContractError(`${kernel}: the host binds ${kind} at binding ${index} but the shader declares nothing there. ${fix}`);
    for (const b of there) {
      if (b.kind !== WGSL_KIND[kind]) {
        throw new ContractError(`${kernel}: binding ${index} ('${b.name}') is var<${b.kind === 'uniform' ? 'uniform' : `storage, ${b.kind}`}> in the shader but the host binds it as '${kind}'. ${fix}`);
      }
    }
  });
  // A spec without a layout (an ad-hoc kernel) has its binding kinds checked only.
  if (!uniform) return;
  const uniformAt = decl.bindings.filter((b) => b.kind === 'uniform' && bindings[b.index] === 'uniform');
  if (!uniformAt.some((b) => b.type === uniform.struct)) {
    throw new ContractError(`${kernel}: the host packs uniform ${uniform.struct} but the shader's uniform binding is ${uniformAt.map((b) => b.type).join(' or ') || 'absent'}. ${fix}`);
  }
  const wgsl = decl.structs.get(uniform.struct);
  if (!wgsl) throw new ContractError(`${kernel}: struct ${uniform.struct} is not declared in the shader. ${fix}`);
  const n = Math.max(wgsl.length, uniform.fields.length);
  for (let i = 0; i < n; i++) {
    const host = uniform.fields[i];
    const dev = wgsl[i];
    if (!host) throw new ContractError(`${kernel}: uniform ${uniform.struct} field ${i} '${dev[0]}: ${dev[1]}' is missing from the host descriptor. ${fix}`);
    if (!dev) throw new ContractError(`${kernel}: the host descriptor packs field '${host[0]}' at position ${i} but uniform ${uniform.struct} in the shader ends before it. ${fix}`);
    if (host[0] !== dev[0] || host[1] !== dev[1]) {
      throw new ContractError(`${kernel}: uniform ${uniform.struct} field ${i} is '${dev[0]}: ${dev[1]}' in the shader but '${host[0]}: ${host[1]}' in the host descriptor. ${fix}`);
    }
  }
}
