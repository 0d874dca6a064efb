// A workgroup's sum of one value per invocation, by halving strides in workgroup memory (reduce.wgsl,
// sample_norms.wgsl; pulled in with //#include "tree_sum.wgsl" after the including file's
// `override WG: u32`, a power of two). Every invocation of the workgroup must call it (barriers).

var<workgroup> shared_sum: array<f32, WG>;

fn tree_sum(lid: u32, value: f32) -> f32 {
  shared_sum[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { shared_sum[lid] += shared_sum[lid + stride]; }
    workgroupBarrier();
  }
  let total = shared_sum[0];
  // Every invocation has read the total before a next call overwrites the shared array.
  workgroupBarrier();
  return total;
}
