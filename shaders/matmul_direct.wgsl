// GEMM without workgroup memory, for CPU-backed adapters (lavapipe, SwiftShader): the CPU's caches
// do the staging that workgroup tiles do on a GPU, and there are no barriers (each one is a costly
// context switch between invocation groups there). Same products, epilogues, tangents and split-K
// partials as matmul.wgsl (see its header); the same bindings plus b4, B viewed as vec4s.
//
// A workgroup is WG invocations along N and owns TM rows × WG·TN columns of C; each invocation
// keeps a TM × TN register block (TN contiguous columns). TM is an override up to 8 (the register
// arrays are sized for 8 rows; rows past TM are dead once the loops unroll): a dual 8 × 8 block
// (128 accumulators) takes LLVM seconds to compile on lavapipe, a dual 4 × 8 block far less. The A element of a row is the same for
// every invocation of the workgroup (one load broadcast to all SIMD lanes); B is read per
// invocation, as vec4s when VEC_B (B untransposed, ldb and b_off multiples of 4, N ≥ TN).
// Rows and columns past the edge load clamped (valid) addresses and are not stored.

//#include "grid.wgsl"

//#include "activation.wgsl"

//#include "matmul_epilogue.wgsl"

//#include "matmul_io.wgsl"

@group(0) @binding(9) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> b4_dot: array<vec4<f32>>;

override WG: u32 = 32u;
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
override VEC_B: bool = false;

override TM: u32 = 8u;
const MAX_TM: u32 = 8u;
const TN: u32 = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let tile_n = WG * TN;
  let tiles_n = (s.N + tile_n - 1u) / tile_n;
  let tiles = ((s.M + TM - 1u) / TM) * tiles_n;
  let index = workgroup_index(wid, nwg);
  let tile = index % tiles;
  let split = index / tiles;
  if (split >= s.splits) { return; }
  let k_begin = split * s.k_chunk;
  let k_end = min(s.K, k_begin + s.k_chunk);
  let row0 = (tile / tiles_n) * TM;
  let col = (tile % tiles_n) * tile_n + lid.x * TN;

  // Per-row and per-column base offsets and k strides of the stored operands.
  var a_base: array<u32, MAX_TM>;
  for (var i = 0u; i < TM; i++) {
    let m = min(row0 + i, s.M - 1u);
    a_base[i] = s.a_off + select(m * s.lda, m, TRANS_A);
  }
  let a_step = select(1u, s.lda, TRANS_A);
  var b_base: array<u32, TN>;
  for (var j = 0u; j < TN; j++) {
    let n = min(col + j, s.N - 1u);
    b_base[j] = s.b_off + select(n, n * s.ldb, TRANS_B);
  }
  let b_step = select(s.ldb, 1u, TRANS_B);
  // vec4 path: TN contiguous columns starting at a multiple of 4, moved back inside the matrix.
  let col4 = min(col, s.N - TN);

  var acc: array<f32, MAX_TM * TN>;
  var acc_dot: array<f32, MAX_TM * TN>;
  var br: array<f32, TN>;
  var bdr: array<f32, TN>;
  for (var k = k_begin; k < k_end; k++) {
    if (VEC_B) {
      let q = (s.b_off + k * s.ldb + col4) / 4u;
      for (var v = 0u; v < TN / 4u; v++) {
        let x = b4[q + v];
        for (var c = 0u; c < 4u; c++) { br[4u * v + c] = x[c]; }
        if (B_DOT) {
          let xd = b4_dot[q + v];
          for (var c = 0u; c < 4u; c++) { bdr[4u * v + c] = xd[c]; }
        }
      }
    } else {
      for (var j = 0u; j < TN; j++) {
        br[j] = b[b_base[j] + k * b_step];
        if (B_DOT) { bdr[j] = b_dot[b_base[j] + k * b_step]; }
      }
    }
    for (var i = 0u; i < TM; i++) {
      let ai = a_base[i] + k * a_step;
      let av = a[ai];
      var adv = 0.0;
      if (A_DOT) { adv = a_dot[ai]; }
      for (var j = 0u; j < TN; j++) {
        acc[i * TN + j] = fma(av, br[j], acc[i * TN + j]);
        if (A_DOT) { acc_dot[i * TN + j] = fma(adv, br[j], acc_dot[i * TN + j]); }
        if (B_DOT) { acc_dot[i * TN + j] = fma(av, bdr[j], acc_dot[i * TN + j]); }
      }
    }
  }

  for (var i = 0u; i < TM; i++) {
    let gm = row0 + i;
    if (gm >= s.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      // With VEC_B the block was loaded from col4; element j holds column col4 + j.
      let gn = select(col, col4, VEC_B) + j;
      if (gn >= s.N || (VEC_B && gn < col)) { continue; }
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
