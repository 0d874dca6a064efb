// Dispatch-grid helpers shared by the kernel files (pulled in with //#include "grid.wgsl").
// The host folds a workgroup count above maxComputeWorkgroupsPerDimension into x and y
// (src/gpu/context.ts grid()); kernels rebuild the linear workgroup id from both.

fn workgroup_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// One invocation per element: the element index of this invocation in a folded 1-D grid.
fn element_index(wid: vec3u, nwg: vec3u, lid: vec3u, workgroup_size: u32) -> u32 {
  return workgroup_index(wid, nwg) * workgroup_size + lid.x;
}
