// Activation functions and their first and second derivatives, shared by the matmul epilogues
// and the elementwise kernels (pulled in with //#include "activation.wgsl").
// Codes: 0 identity, 1 ReLU, 2 tanh, 3 GELU (tanh approximation, as JAX's approximate=True).
// The second derivative is what forward-over-backward needs; it is 0 for identity and ReLU.

const ACT_IDENTITY: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_TANH: u32 = 2u;
const ACT_GELU: u32 = 3u;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/pi)
const GELU_A: f32 = 0.044715;

// tanh via exp is stable for all z on every backend (some drivers' tanh overflow to NaN at |z| > 44).
fn safe_tanh(z: f32) -> f32 {
  let e = exp(-2.0 * abs(z));
  return sign(z) * (1.0 - e) / (1.0 + e);
}

// 1 − tanh²(z) without the cancellation of computing it from tanh(z) near ±1.
fn sech2(z: f32) -> f32 {
  let e = exp(-2.0 * abs(z));
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

fn act_value(act: u32, z: f32) -> f32 {
  switch act {
    case 1u: { return max(z, 0.0); }
    case 2u: { return safe_tanh(z); }
    case 3u: { return 0.5 * z * (1.0 + safe_tanh(GELU_C * (z + GELU_A * z * z * z))); }
    default: { return z; }
  }
}

fn act_grad(act: u32, z: f32) -> f32 {
  switch act {
    case 1u: { return select(0.0, 1.0, z > 0.0); }
    case 2u: { return sech2(z); }
    case 3u: {
      let u = GELU_C * (z + GELU_A * z * z * z);
      let du = GELU_C * (1.0 + 3.0 * GELU_A * z * z);
      // 0.5·(1 + tanh u) = 1 / (1 + e^{−2u}), exact for large negative u.
      return 1.0 / (1.0 + exp(-2.0 * u)) + 0.5 * z * sech2(u) * du;
    }
    default: { return 1.0; }
  }
}

fn act_curv(act: u32, z: f32) -> f32 {
  switch act {
    case 2u: { return -2.0 * safe_tanh(z) * sech2(z); }
    case 3u: {
      let u = GELU_C * (z + GELU_A * z * z * z);
      let t = safe_tanh(u);
      let s = sech2(u);
      let du = GELU_C * (1.0 + 3.0 * GELU_A * z * z);
      let ddu = GELU_C * 6.0 * GELU_A * z;
      return s * du + 0.5 * z * (ddu * s - 2.0 * t * s * du * du);
    }
    default: { return 0.0; }
  }
}
