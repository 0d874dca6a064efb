// Minibatch gather from a dataset that lives on the GPU.
//
//   x_out[r, f] = scale·pixel(order[start + r], f) + shift     (rows × features, dense, overwritten)
//   y_out[r]    = labels[order[start + r]]
// Pixels are bytes packed four to a u32 (little-endian) when PACKED, which keeps full MNIST
// (47 MB) within one storage binding; otherwise they are f32 features used as they are.

//#include "grid.wgsl"

struct Params {
  rows: u32,
  features: u32,
  start: u32,
  scale: f32,
  shift: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> x_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> y_out: array<u32>;

override WG: u32 = 256u;
override PACKED: bool = true;

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.rows * p.features) { return; }
  let r = i / p.features;
  let f = i % p.features;
  let sample = order[p.start + r];
  let src = sample * p.features + f;
  var value: f32;
  if (PACKED) {
    value = f32((pixels[src / 4u] >> (8u * (src % 4u))) & 0xffu);
  } else {
    value = bitcast<f32>(pixels[src]);
  }
  x_out[i] = p.scale * value + p.shift;
  if (f == 0u) { y_out[r] = labels[sample]; }
}
