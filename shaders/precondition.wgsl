// Diagonal preconditioners for the probes, one thread per parameter, grid folded into x/y.
//
//   adam_inverse_root: out[i] = 1/√P_i  with Adam's own preconditioner at step t
//                      P_i = (1 − β1^t)·(√v_i·inv_sqrt_bc2 + ε)   (v = exp_avg_sq, inv_sqrt_bc2 = 1/√(1 − β2^t))
//                      — the same denominator shaders/optim.wgsl divides by, times the bias correction
//                      of m that Adam folds into its step size (θ ← θ − lr·P⁻¹·m).
//   scale:             out[i] = d[i]·x[i]
// Both overwrite out (never read it). The coefficients (1 − β1^t, 1/√(1 − β2^t)) are computed on the
// host in float64 and arrive in the uniform, so the pipeline does not depend on t.

//#include "grid.wgsl"

struct Params {
  n: u32,
  bias1: f32,          // 1 − β1^t
  inv_sqrt_bc2: f32,   // 1/√(1 − β2^t)
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn adam_inverse_root(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  out[i] = inverseSqrt(p.bias1 * (sqrt(d[i]) * p.inv_sqrt_bc2 + p.eps));
}

@compute @workgroup_size(WG)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  out[i] = d[i] * x[i];
}
