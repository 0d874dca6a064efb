// Second pass of a split-K GEMM (see matmul.wgsl, SPLIT_K): sums the `splits` partial products
// of each output element in a fixed order (split 0, 1, …), so the result is bit-identical run to
// run (no atomics), then applies the epilogue (alpha, store/accumulate, layer, gate).
//
// Partials: a (and a_dot for the tangent) hold splits × M × N floats, split-major, row-major,
// starting at element 0. Bindings match matmul.wgsl's layout: b/b_dot carry the bias for the
// layer epilogue, aux/aux_dot the gate's z and ż, out/out_dot the real outputs at c_off/ldc.
// One invocation per output element; the grid is 1-D, folded into x/y.

//#include "grid.wgsl"

//#include "activation.wgsl"

//#include "matmul_epilogue.wgsl"

//#include "matmul_io.wgsl"


override WG: u32 = 64u;
override A_DOT: bool = false;
override B_DOT: bool = false;
override DUAL: bool = A_DOT || B_DOT;
override STORE_PRIMAL: bool = true;
override EPILOGUE: u32 = 0u;
override ACT: u32 = 0u;
override ACCUMULATE: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let e = element_index(wid, nwg, lid, WG);
  let count = s.M * s.N;
  if (e >= count) { return; }
  var acc = 0.0;
  var acc_dot = 0.0;
  for (var p = 0u; p < s.splits; p++) {
    acc += a[p * count + e];
    if (DUAL) { acc_dot += a_dot[p * count + e]; }
  }
  finish(e / s.N, e % s.N, acc, acc_dot);
}
