// The GEMM epilogue shared by matmul.wgsl (unsplit) and matmul_reduce.wgsl (after the split-K sum),
// pulled in with //#include "matmul_epilogue.wgsl". The including file declares the Shape uniform
// `s`, the bindings b, b_dot, aux, aux_dot, out, out_dot and the overrides EPILOGUE, ACT, DUAL,
// ACCUMULATE, STORE_PRIMAL. `acc`/`acc_dot` are the raw sums for element (gm, gn); alpha is
// applied here, once, so a split product is scaled after its partials are added.

fn finish(gm: u32, gn: u32, acc: f32, acc_dot: f32) {
  let p = s.alpha * acc;
  let pd = s.alpha * acc_dot;
  let ci = s.c_off + gm * s.ldc + gn;
  let zi = s.z_off + gm * s.ldc + gn;
  switch EPILOGUE {
    case 1u: {
      let z = p + b[s.bias_off + gn];
      out[zi] = z;
      out[ci] = act_value(ACT, z);
      if (DUAL) {
        let zd = pd + b_dot[s.bias_off + gn];
        out_dot[zi] = zd;
        out_dot[ci] = act_grad(ACT, z) * zd;
      }
    }
    case 2u: {
      let z = aux[zi];
      let g = act_grad(ACT, z);
      out[ci] = p * g;
      if (DUAL) { out_dot[ci] = pd * g + p * act_curv(ACT, z) * aux_dot[zi]; }
    }
    default: {
      if (!DUAL || STORE_PRIMAL) { out[ci] = select(p, out[ci] + p, ACCUMULATE); }
      if (DUAL) { out_dot[ci] = select(pd, out_dot[ci] + pd, ACCUMULATE); }
    }
  }
}
