// Elementwise kernels of the block pass (src/autograd/block-pass.ts): k tangent directions of the
// MLP at once. A layer's k tangents are stored "column-blocked": a rows × (k·n) matrix whose row r
// is [ż_1[r] | ż_2[r] | … | ż_k[r]], so the same memory is also an (rows·k) × n matrix (one GEMM
// against W serves every direction). The k directions themselves are k rows of P parameters (the
// flat layout of layout.ts), row stride `stride`.
//
//   stack:    gathers one (rows × cols) parameter block of each direction into one matrix:
//             MODE 0 (vertical, (k·rows) × cols): dst[dst_off + (j·rows + o)·cols + c]
//             MODE 1 (side by side, rows × (k·cols)): dst[dst_off + o·k·cols + j·cols + c]
//             MODE 2 (the vertical stack transposed, cols × (k·rows)): dst[dst_off + c·k·rows + j·rows + o]
//             from src[j·stride + src_off + o·cols + c]. Overwrites dst.
//   unstack:  the inverse scatter, adding a side-by-side partner when SIDE:
//             dst[j·stride + dst_off + o·cols + c] = src[src_off + (j·rows + o)·cols + c]
//                                                   (+ side[o·k·cols + j·cols + c]). Overwrites dst.
//   tangent_act:  forward tangent of layer l (width n = cols, rows = chunk rows):
//             ż[e] += ċ_j[o] (the direction's bias, from V), ḣ[e] = φ′(z[r, o])·ż[e],
//             e = r·k·n + j·n + o; ż at t[0..], ḣ at t[h_off..]. In place on t.
//   tangent_softmax: one thread per (r, j): δ̇[(r·k + j)·C + c] = scale·p_c·(ż_c − ⟨p, ż⟩),
//             p = softmax(z[r]); overwrites δ̇.
//   tangent_gate: backward through φ for every direction, with g = δ_l·W_l (ungated, rows × n):
//             δ̇[e] = δ̇[e]·φ′(z[r, o]) + g[r, o]·φ″(z[r, o])·ż[e]   (in place), and the primal
//             δ_{l−1}[r, o] = g[r, o]·φ′(z[r, o]) written by the j = 0 threads.
//             GAUSS_NEWTON: δ̇[e] = δ̇[e]·φ′(z[r, o]) alone — the Gauss–Newton product's backward
//             (a plain vector-Jacobian product: no φ″ term, no primal δ; g and ż are not read).
// One invocation per element; the grid is folded into x/y (grid.wgsl).

//#include "grid.wgsl"

//#include "activation.wgsl"

struct Params {
  k: u32,
  rows: u32,
  cols: u32,
  stride: u32,
  src_off: u32,
  dst_off: u32,
  h_off: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read> in2: array<f32>;
@group(0) @binding(4) var<storage, read_write> out0: array<f32>;
@group(0) @binding(5) var<storage, read_write> out1: array<f32>;

override WG: u32 = 256u;
override MODE: u32 = 0u;
override SIDE: bool = false;
override ACT: u32 = 0u;
override GAUSS_NEWTON: bool = false;

// Element e of a k × rows × cols block, as (j, o, c).
fn split(e: u32) -> vec3u {
  let per = p.rows * p.cols;
  let t = e % per;
  return vec3u(e / per, t / p.cols, t % p.cols);
}

// stack: in0 = directions (k × stride); out0 = the stacked matrix.
@compute @workgroup_size(WG)
fn stack(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = element_index(wid, nwg, lid, WG);
  if (e >= p.k * p.rows * p.cols) { return; }
  let s = split(e);
  let v = in0[s.x * p.stride + p.src_off + s.y * p.cols + s.z];
  if (MODE == 0u) {
    out0[p.dst_off + e] = v;
  } else if (MODE == 1u) {
    out0[p.dst_off + s.y * p.k * p.cols + s.x * p.cols + s.z] = v;
  } else {
    out0[p.dst_off + s.z * p.k * p.rows + s.x * p.rows + s.y] = v;
  }
}

// unstack: in0 = vertical matrix, in1 = side-by-side partner (SIDE); out0 = directions (k × stride).
@compute @workgroup_size(WG)
fn unstack(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = element_index(wid, nwg, lid, WG);
  if (e >= p.k * p.rows * p.cols) { return; }
  let s = split(e);
  var v = in0[p.src_off + e];
  if (SIDE) { v += in1[s.y * p.k * p.cols + s.x * p.cols + s.z]; }
  out0[s.x * p.stride + p.dst_off + s.y * p.cols + s.z] = v;
}

// tangent_act: in0 = [z | h] of the layer (z at 0, rows × cols), in1 = directions; out0 = [ż | ḣ] (column-blocked).
@compute @workgroup_size(WG)
fn tangent_act(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = element_index(wid, nwg, lid, WG);
  let width = p.k * p.cols;
  if (e >= p.rows * width) { return; }
  let r = e / width;
  let j = (e % width) / p.cols;
  let o = e % p.cols;
  let zd = out0[e] + in1[j * p.stride + p.src_off + o];
  out0[e] = zd;
  out0[p.h_off + e] = act_grad(ACT, in0[r * p.cols + o]) * zd;
}

// tangent_softmax: in0 = logits z (rows × cols at 0), in1 = ż (column-blocked); out0 = δ̇ (column-blocked).
@compute @workgroup_size(WG)
fn tangent_softmax(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = element_index(wid, nwg, lid, WG);
  if (t >= p.rows * p.k) { return; }
  let r = t / p.k;
  let zb = r * p.cols;
  let db = t * p.cols;
  var m = in0[zb];
  for (var c = 1u; c < p.cols; c++) { m = max(m, in0[zb + c]); }
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum += exp(in0[zb + c] - m); }
  let lse = m + log(sum);
  var pz = 0.0;
  for (var c = 0u; c < p.cols; c++) { pz += exp(in0[zb + c] - lse) * in1[db + c]; }
  for (var c = 0u; c < p.cols; c++) {
    out0[db + c] = p.scale * exp(in0[zb + c] - lse) * (in1[db + c] - pz);
  }
}

// tangent_gate: in0 = z of the layer below (rows × cols at 0), in1 = g = δW (rows × cols),
// in2 = ż of the layer below (column-blocked); out0 = δ̇ (column-blocked, in place); out1 = δ.
// With GAUSS_NEWTON only in0 and out0 are used.
@compute @workgroup_size(WG)
fn tangent_gate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let e = element_index(wid, nwg, lid, WG);
  let width = p.k * p.cols;
  if (e >= p.rows * width) { return; }
  let r = e / width;
  let j = (e % width) / p.cols;
  let zi = r * p.cols + e % p.cols;
  let z = in0[zi];
  let d1 = act_grad(ACT, z);
  if (GAUSS_NEWTON) {
    out0[e] = out0[e] * d1;
    return;
  }
  let g = in1[zi];
  out0[e] = out0[e] * d1 + g * act_curv(ACT, z) * in2[e];
  if (j == 0u) { out1[zi] = g * d1; }
}
