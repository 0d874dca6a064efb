// Tiled matrix multiply for the MLP passes, with the product rule built in.
//
//   C (M×N) = alpha · op(A) · op(B),  op(A) is M×K, op(B) is K×N
//   DUAL:   Ċ = alpha · (op(Ȧ)·op(B) + op(A)·op(Ḃ))   (one read of each tile gives both)
//           A_DOT / B_DOT say which tangents exist; a missing one is zero (e.g. ḣ₀ = 0 at the input).
//
// Layout: row-major matrices inside flat f32 buffers, at element offsets with leading dimensions
// from the uniform. op(A) = A stored M×K (lda) or, with TRANS_A, Aᵀ of a stored K×M. Same for B.
// Ȧ and Ḃ share A's and B's offsets and strides (tangents mirror their primals' layout).
//
// Epilogues, per element (i, j), p = alpha·acc, ṗ = alpha·acc_dot:
//   STORE (0): out[c] = p, or += p with ACCUMULATE; out_dot likewise with ṗ. STORE_PRIMAL = false
//              skips out (an HVP needs only the tangent).
//   LAYER (1): z = p + b[bias_off + j] (bias lives in B's buffer, as in the flat parameter layout);
//              out[z_off..] = z, out[c_off..] = act(z).
//              DUAL: ż = ṗ + ḃ[bias_off + j]; out_dot[z_off..] = ż, out_dot[c_off..] = act'(z)·ż.
//   GATE  (2): z = aux[z_off..]; out[c] = p·act'(z).
//              DUAL: out_dot[c] = ṗ·act'(z) + p·act''(z)·aux_dot[z_off..].
// Overwrites its outputs unless ACCUMULATE. The grid is 1-D over output tiles, folded into x/y.
//
// SPLIT_K: the grid is splits × tiles; workgroup (tile, p) sums k in [p·k_chunk, (p+1)·k_chunk)
// and writes its raw partial (no alpha, no epilogue) to out/out_dot at p·M·N + i·N + j — scratch
// buffers that matmul_reduce.wgsl then sums in a fixed order before applying the epilogue.
//
// Workgroup tiles are stored k-major with a row stride padded by one word, so the staging writes
// (consecutive threads walk k in the untransposed A and the transposed B) fall in distinct banks.

//#include "grid.wgsl"

//#include "activation.wgsl"

//#include "matmul_epilogue.wgsl"

//#include "matmul_io.wgsl"


override WG_M: u32 = 16u;
override WG_N: u32 = 16u;
override TILE_K: u32 = 16u;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override A_DOT: bool = false;
override B_DOT: bool = false;
override DUAL: bool = A_DOT || B_DOT;
override STORE_PRIMAL: bool = true;
override EPILOGUE: u32 = 0u;
override ACT: u32 = 0u;
override ACCUMULATE: bool = false;
override SPLIT_K: bool = false;

// Each thread owns a TM×TN block of C, spread with stride WG so neighbouring threads touch
// neighbouring columns (coalesced stores, conflict-free tile reads).
const TM: u32 = 4u;
const TN: u32 = 4u;
override TILE_M: u32 = WG_M * TM;
override TILE_N: u32 = WG_N * TN;
override STRIDE_A: u32 = TILE_M + 1u;
override STRIDE_B: u32 = TILE_N + 1u;

var<workgroup> tile_a: array<f32, STRIDE_A * TILE_K>;
var<workgroup> tile_b: array<f32, TILE_K * STRIDE_B>;
var<workgroup> tile_ad: array<f32, select(1u, STRIDE_A * TILE_K, A_DOT)>;
var<workgroup> tile_bd: array<f32, select(1u, TILE_K * STRIDE_B, B_DOT)>;

fn a_index(m: u32, k: u32) -> u32 {
  if (TRANS_A) { return s.a_off + k * s.lda + m; }
  return s.a_off + m * s.lda + k;
}

fn b_index(k: u32, n: u32) -> u32 {
  if (TRANS_B) { return s.b_off + n * s.ldb + k; }
  return s.b_off + k * s.ldb + n;
}

@compute @workgroup_size(WG_N, WG_M)
fn main(@builtin(local_invocation_id) lid: vec3u,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let tiles_n = (s.N + TILE_N - 1u) / TILE_N;
  let tiles_m = (s.M + TILE_M - 1u) / TILE_M;
  let tiles = tiles_m * tiles_n;
  let index = workgroup_index(wid, nwg);
  let tile = index % tiles;
  let split = index / tiles;
  if (split >= s.splits) { return; }
  let k_begin = split * s.k_chunk;
  let k_end = min(s.K, k_begin + s.k_chunk);
  let row0 = (tile / tiles_n) * TILE_M;
  let col0 = (tile % tiles_n) * TILE_N;
  let tid = lid.y * WG_N + lid.x;
  let threads = WG_M * WG_N;

  var acc: array<f32, TM * TN>;
  var acc_dot: array<f32, TM * TN>;
  var ar: array<f32, TM>;
  var br: array<f32, TN>;
  var adr: array<f32, TM>;
  var bdr: array<f32, TN>;

  for (var k0 = k_begin; k0 < k_end; k0 += TILE_K) {
    // Stage A and B tiles; the index order follows the stored layout so global reads coalesce.
    for (var i = tid; i < TILE_M * TILE_K; i += threads) {
      var m = i / TILE_K;
      var k = i % TILE_K;
      if (TRANS_A) { m = i % TILE_M; k = i / TILE_M; }
      let gm = row0 + m;
      let gk = k0 + k;
      var v = 0.0;
      var vd = 0.0;
      if (gm < s.M && gk < k_end) {
        let idx = a_index(gm, gk);
        v = a[idx];
        if (A_DOT) { vd = a_dot[idx]; }
      }
      tile_a[k * STRIDE_A + m] = v;
      if (A_DOT) { tile_ad[k * STRIDE_A + m] = vd; }
    }
    for (var i = tid; i < TILE_K * TILE_N; i += threads) {
      var k = i / TILE_N;
      var n = i % TILE_N;
      if (TRANS_B) { n = i / TILE_K; k = i % TILE_K; }
      let gk = k0 + k;
      let gn = col0 + n;
      var v = 0.0;
      var vd = 0.0;
      if (gk < k_end && gn < s.N) {
        let idx = b_index(gk, gn);
        v = b[idx];
        if (B_DOT) { vd = b_dot[idx]; }
      }
      tile_b[k * STRIDE_B + n] = v;
      if (B_DOT) { tile_bd[k * STRIDE_B + n] = vd; }
    }
    workgroupBarrier();

    for (var kk = 0u; kk < TILE_K; kk++) {
      for (var i = 0u; i < TM; i++) {
        ar[i] = tile_a[kk * STRIDE_A + lid.y + i * WG_M];
        if (A_DOT) { adr[i] = tile_ad[kk * STRIDE_A + lid.y + i * WG_M]; }
      }
      for (var j = 0u; j < TN; j++) {
        br[j] = tile_b[kk * STRIDE_B + lid.x + j * WG_N];
        if (B_DOT) { bdr[j] = tile_bd[kk * STRIDE_B + lid.x + j * WG_N]; }
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i * TN + j] = fma(ar[i], br[j], acc[i * TN + j]);
          if (A_DOT) { acc_dot[i * TN + j] = fma(adr[i], br[j], acc_dot[i * TN + j]); }
          if (B_DOT) { acc_dot[i * TN + j] = fma(ar[i], bdr[j], acc_dot[i * TN + j]); }
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < TM; i++) {
    let gm = row0 + lid.y + i * WG_M;
    if (gm >= s.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      let gn = col0 + lid.x + j * WG_N;
      if (gn >= s.N) { continue; }
      if (SPLIT_K) {
        let pi = split * s.M * s.N + gm * s.N + gn;
        out[pi] = acc[i * TN + j];
        if (DUAL) { out_dot[pi] = acc_dot[i * TN + j]; }
      } else {
        finish(gm, gn, acc[i * TN + j], acc_dot[i * TN + j]);
      }
    }
  }
}
