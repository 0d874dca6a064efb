// Per-sample squared gradient norms of one dense layer y = W·a + b, from its input a and the
// backpropagated signal δ = ∂ℓ/∂y of each sample r of a chunk: the sample's gradient is δ_r·a_rᵀ
// (weights) and δ_r (bias), so its squared norm is
//   ‖g_r‖² = ‖δ_r‖²·‖a_r‖² + ‖δ_r‖² = ‖δ_r‖²·(‖a_r‖² + 1),
// and no per-sample gradient is formed. δ arrives scaled as the pass scales it (1/N, so that its
// column sums accumulate the mean gradient); `scale` undoes that (scale = N², applied once to the
// product, not to each element).
//
// delta: rows × out_dim at 0 (dense).  act: rows × in_dim at a_off (dense).
// Output: out[out_off + r], overwritten. One workgroup per row (the grid folded into x/y,
// grid.wgsl), its threads striding over the columns and summing by a fixed tree, so the result is
// the same bits on every run.

//#include "grid.wgsl"

struct Params {
  rows: u32,
  out_dim: u32,
  in_dim: u32,
  a_off: u32,
  out_off: u32,
  scale: f32,
}

override WG: u32 = 64u;

//#include "tree_sum.wgsl"

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> delta: array<f32>;
@group(0) @binding(2) var<storage, read> act: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = workgroup_index(wid, nwg);
  // The whole workgroup leaves together (r is uniform across it), so the barriers stay uniform.
  if (r >= p.rows) { return; }
  var d = 0.0;
  for (var j = lid.x; j < p.out_dim; j += WG) {
    let v = delta[r * p.out_dim + j];
    d += v * v;
  }
  var a = 0.0;
  for (var j = lid.x; j < p.in_dim; j += WG) {
    let v = act[p.a_off + r * p.in_dim + j];
    a += v * v;
  }
  let dd = tree_sum(lid.x, d);
  let aa = tree_sum(lid.x, a);
  if (lid.x == 0u) { out[p.out_off + r] = p.scale * dd * (aa + 1.0); }
}
