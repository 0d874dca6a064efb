// The GEMM family's shared interface (matmul.wgsl, matmul_direct.wgsl, matmul_reduce.wgsl and the
// epilogue they include): the shape uniform and bindings 0–8, in the layout src/gpu/ops/matmul.ts binds.
// SPLIT_K kernels read splits/k_chunk; the others ignore them.

struct Shape {
  M: u32, N: u32, K: u32,
  a_off: u32, lda: u32,
  b_off: u32, ldb: u32,
  c_off: u32, ldc: u32,
  z_off: u32,
  bias_off: u32,
  alpha: f32,
  splits: u32,
  k_chunk: u32,
}

@group(0) @binding(0) var<uniform> s: Shape;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> a_dot: array<f32>;
@group(0) @binding(4) var<storage, read> b_dot: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<f32>;
@group(0) @binding(6) var<storage, read> aux_dot: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read_write> out_dot: array<f32>;
