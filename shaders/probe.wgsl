// Products of a vector with a basis of `rows` vectors of length n, stored row-major in one
// buffer (the Lanczos basis V). Gram–Schmidt needs both directions every step:
//
//   project: out[off + r] = Σ_i basis[r·n + i]·x[i]                for r < rows   (c = V·x)
//   combine: y[i] = alpha·Σ_r basis[r·n + i]·coeffs[off + r] + beta·y[i]          (y = α·Vᵀc + β·y)
//
// A GEMM tile would waste all but one of its columns on these (n = 1) and would sum V·x's long
// rows serially in one workgroup; here project gives each row a workgroup and combine gives
// each element a thread that walks the (few) rows, reading V coalesced in both cases.

//#include "grid.wgsl"

struct Params {
  rows: u32,
  n: u32,
  off: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> basis: array<f32>;
// project: the vector x; combine: the coefficients c.
@group(0) @binding(2) var<storage, read> operand: array<f32>;
// project: the coefficients out; combine: the vector y.
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

override WG: u32 = 256u;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn project(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = workgroup_index(wid, nwg);
  // r is the same for the whole workgroup, so this early exit keeps the barriers below uniform.
  if (r >= p.rows) { return; }
  let base = r * p.n;
  var acc = 0.0;
  for (var i = lid.x; i < p.n; i += WG) { acc = fma(basis[base + i], operand[i], acc); }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid.x < stride) { partial[lid.x] += partial[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { dst[p.off + r] = partial[0]; }
}

@compute @workgroup_size(WG)
fn combine(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) { acc = fma(basis[r * p.n + i], operand[p.off + r], acc); }
  var result = p.alpha * acc;
  // beta = 0 must ignore y so a fresh (even NaN-poisoned) output is overwritten cleanly.
  if (p.beta != 0.0) { result += p.beta * dst[i]; }
  dst[i] = result;
}

// gram: partial Gram matrices of the rows of two stacked row-major blocks, for the block solvers.
// Rows 0..off−1 come from `basis`, rows off..rows−1 from `operand` (row r − off); both have length n.
// Workgroup w sums the columns of its slice [w·span, (w+1)·span), span = the multiple of GRAM_TILE
// nearest above n / groups, into dst[w·rows² + i·rows + j]; a column sum over workgroups finishes
// it (src/probe/vector-ops.ts prepareGram), so the result is the same on every run. rows ≤ 64.
const GRAM_TILE: u32 = 32u;
const GRAM_ROWS: u32 = 64u;
const GRAM_PAIRS: u32 = GRAM_ROWS * GRAM_ROWS / 256u;
var<workgroup> gram_tile: array<f32, GRAM_ROWS * GRAM_TILE>;

@compute @workgroup_size(256)
fn gram(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let w = workgroup_index(wid, nwg);
  let groups = nwg.x * nwg.y;
  let span = ((p.n + groups - 1u) / groups + GRAM_TILE - 1u) / GRAM_TILE * GRAM_TILE;
  let start = min(w * span, p.n);
  let end = min(start + span, p.n);
  let pairs = p.rows * p.rows;
  var acc: array<f32, GRAM_PAIRS>;
  for (var c0 = start; c0 < end; c0 += GRAM_TILE) {
    for (var t = lid.x; t < p.rows * GRAM_TILE; t += 256u) {
      let r = t / GRAM_TILE;
      let c = c0 + t % GRAM_TILE;
      var v = 0.0;
      if (c < end) {
        if (r < p.off) { v = basis[r * p.n + c]; } else { v = operand[(r - p.off) * p.n + c]; }
      }
      gram_tile[t] = v;
    }
    workgroupBarrier();
    for (var q = 0u; q < GRAM_PAIRS; q++) {
      let pair = lid.x + q * 256u;
      if (pair < pairs) {
        let i = pair / p.rows;
        let j = pair % p.rows;
        var s = 0.0;
        for (var c = 0u; c < GRAM_TILE; c++) { s = fma(gram_tile[i * GRAM_TILE + c], gram_tile[j * GRAM_TILE + c], s); }
        acc[q] += s;
      }
    }
    workgroupBarrier();
  }
  for (var q = 0u; q < GRAM_PAIRS; q++) {
    let pair = lid.x + q * 256u;
    if (pair < pairs) { dst[w * pairs + pair] = acc[q]; }
  }
}
