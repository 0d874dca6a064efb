// Per-sample loss tangents: for each sample r of a chunk and each of k directions j, the
// directional derivative of that sample's cross-entropy along direction j,
//   t[r, j] = Σ_c (p_c − [c = y_r])·ż_j[r, c],   p = softmax(z_r),
// i.e. u_jᵀ∇ℓ_r, from the logits z (rows × classes, dense, at 0) and their k forward tangents ż
// (column-blocked rows × (k·classes): row r = [ż_1[r] | … | ż_k[r]], src/autograd/block-pass.ts).
// Nothing is reduced over samples and no 1/N is applied: the caller wants each sample's value.
//
// Output: out[j·stride + base + r] (k rows of `stride` samples, the chunk starting at `base`),
// overwritten. One invocation per (r, j); the grid is folded into x/y (grid.wgsl).

//#include "grid.wgsl"

struct Params {
  rows: u32,
  classes: u32,
  k: u32,
  stride: u32,
  base: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> z_dot: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = element_index(wid, nwg, lid, WG);
  if (t >= p.rows * p.k) { return; }
  let r = t / p.k;
  let j = t % p.k;
  let zb = r * p.classes;
  let db = t * p.classes;
  var m = z[zb];
  for (var c = 1u; c < p.classes; c++) { m = max(m, z[zb + c]); }
  var sum = 0.0;
  for (var c = 0u; c < p.classes; c++) { sum += exp(z[zb + c] - m); }
  let lse = m + log(sum);
  let y = labels[r];
  var acc = 0.0;
  for (var c = 0u; c < p.classes; c++) {
    acc += (exp(z[zb + c] - lse) - select(0.0, 1.0, c == y)) * z_dot[db + c];
  }
  out[j * p.stride + p.base + r] = acc;
}
