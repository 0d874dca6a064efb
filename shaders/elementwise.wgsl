// Elementwise kernels over flat f32 buffers, one thread per element, grid folded into x/y.
//
//   activate: y[y_off + i] = act^(ORDER)(x[x_off + i])      (ORDER 0 value, 1 first, 2 second derivative)
//   axpby:    y[y_off + i] = alpha·c·x[x_off + i] + beta·y[y_off + i]
//             where c comes from the scalars buffer so GPU-resident results (a norm, a Rayleigh
//             quotient) can scale vectors without a host round trip:
//             COEF 0: c = 1, 1: c = scalars[slot], 2: c = 1/sqrt(scalars[slot]),
//             3: c = scalars[slot + i] (an elementwise product with a vector, e.g. the |θ| scaling
//             of adaptive sharpness).
// Both overwrite y (axpby reads it first when beta ≠ 0).

//#include "grid.wgsl"

//#include "activation.wgsl"

struct Params {
  n: u32,
  x_off: u32,
  y_off: u32,
  slot: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scalars: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 256u;
override ACT: u32 = 0u;
override ORDER: u32 = 0u;
override COEF: u32 = 0u;

@compute @workgroup_size(WG)
fn activate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  let z = x[p.x_off + i];
  var r: f32;
  switch ORDER {
    case 1u: { r = act_grad(ACT, z); }
    case 2u: { r = act_curv(ACT, z); }
    default: { r = act_value(ACT, z); }
  }
  y[p.y_off + i] = r;
}

@compute @workgroup_size(WG)
fn axpby(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  var c = 1.0;
  if (COEF == 1u) { c = scalars[p.slot]; }
  if (COEF == 2u) { c = inverseSqrt(scalars[p.slot]); }
  if (COEF == 3u) { c = scalars[p.slot + i]; }
  var r = p.alpha * c * x[p.x_off + i];
  // beta = 0 must ignore y entirely so uninitialised (even NaN) outputs are overwritten cleanly.
  if (p.beta != 0.0) { r += p.beta * y[p.y_off + i]; }
  y[p.y_off + i] = r;
}
