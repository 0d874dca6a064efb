// Reductions that leave their result on the GPU (no host readback).
//
//   partial: workgroup w sums f(i) over a grid-stride slice, f = x (MODE 0), x·y (1), x² (2),
//            and writes partials[w]. The number of workgroups is fixed by the host, so the
//            summation order — and the result — is the same on every run.
//   finish:  one workgroup sums partials[0..count) and writes out[slot] = scale·sum,
//            or out[slot] += scale·sum with ACCUMULATE (to add up data chunks).
//   col_sum: out[out_off + j] (+)= scale·Σ_i a[a_off + i·ld + j]   (bias gradients; DUAL does the
//            same for a tangent matrix at the same offsets into out_dot).

//#include "grid.wgsl"

struct Params {
  n: u32,
  x_off: u32,
  y_off: u32,
  slot: u32,
  scale: f32,
}

struct ColParams {
  rows: u32,
  cols: u32,
  a_off: u32,
  ld: u32,
  out_off: u32,
  scale: f32,
}

override WG: u32 = 256u;
override MODE: u32 = 0u;
override ACCUMULATE: bool = false;
override DUAL: bool = false;

//#include "tree_sum.wgsl"

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let groups = nwg.x;
  var acc = 0.0;
  for (var i = wid.x * WG + lid.x; i < p.n; i += groups * WG) {
    let a = x[p.x_off + i];
    switch MODE {
      case 1u: { acc += a * y[p.y_off + i]; }
      case 2u: { acc += a * a; }
      default: { acc += a; }
    }
  }
  let total = tree_sum(lid.x, acc);
  if (lid.x == 0u) { out[wid.x] = total; }
}

// finish reads the partials through `x` (p.n = their count) and writes out[p.slot].
@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_id) lid: vec3u) {
  var acc = 0.0;
  for (var i = lid.x; i < p.n; i += WG) { acc += x[i]; }
  let total = p.scale * tree_sum(lid.x, acc);
  if (lid.x == 0u) { out[p.slot] = select(total, out[p.slot] + total, ACCUMULATE); }
}

@group(0) @binding(0) var<uniform> c: ColParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> a_dot: array<f32>;
@group(0) @binding(3) var<storage, read_write> col_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> col_out_dot: array<f32>;

// A workgroup owns COLS columns and splits the rows among WG / COLS threads per column.
const COLS: u32 = 32u;

var<workgroup> col_shared: array<f32, WG>;
var<workgroup> col_shared_dot: array<f32, WG>;

@compute @workgroup_size(WG)
fn col_sum(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let lanes = WG / COLS;
  let col = workgroup_index(wid, nwg) * COLS + lid.x % COLS;
  let lane = lid.x / COLS;
  var acc = 0.0;
  var acc_dot = 0.0;
  if (col < c.cols) {
    for (var r = lane; r < c.rows; r += lanes) {
      let idx = c.a_off + r * c.ld + col;
      acc += a[idx];
      if (DUAL) { acc_dot += a_dot[idx]; }
    }
  }
  col_shared[lid.x] = acc;
  col_shared_dot[lid.x] = acc_dot;
  workgroupBarrier();
  if (lane == 0u && col < c.cols) {
    var total = 0.0;
    var total_dot = 0.0;
    for (var l = 0u; l < lanes; l++) {
      total += col_shared[l * COLS + lid.x];
      total_dot += col_shared_dot[l * COLS + lid.x];
    }
    let o = c.out_off + col;
    col_out[o] = select(c.scale * total, col_out[o] + c.scale * total, ACCUMULATE);
    if (DUAL) { col_out_dot[o] = select(c.scale * total_dot, col_out_dot[o] + c.scale * total_dot, ACCUMULATE); }
  }
}
