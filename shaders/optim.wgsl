// Optimizer steps over the flat parameter buffer, one thread per parameter, grid folded into x/y.
// Both kernels update theta (and their state buffers) in place; grad is only read.
//
//   sgd:  g = grad + wd·θ                                  (coupled L2 weight decay, as PyTorch)
//         MOMENTUM: buf = g on the first step (PyTorch clones g), else buf = μ·buf + (1 − dampening)·g
//                   step = g + μ·buf if NESTEROV else buf;  state0 = buf
//         θ = θ − lr·step                                   (step = g without MOMENTUM)
//   adam: DECOUPLED (AdamW): θ = θ·(1 − lr·wd), g = grad    else (Adam): g = grad + wd·θ
//         m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²    state0 = m, state1 = v
//         θ = θ − step_size·m / (√v·inv_sqrt_bc2 + ε)       step_size = lr/(1 − β1^t),
//                                                           inv_sqrt_bc2 = 1/√(1 − β2^t)
// Every coefficient that depends on the step t or is a difference of hyperparameters (1 − β, the
// bias corrections, 1 − lr·wd) is computed on the host in float64 and arrives in the uniform: the
// pipeline is independent of t and lr, and a difference like 1 − 0.999 is not rounded in f32.
// State bindings a variant does not use are bound to placeholders and never touched.

//#include "grid.wgsl"

struct Params {
  n: u32,
  first: u32,            // sgd: 1 on the first step, when the momentum buffer is set to g
  lr: f32,
  weight_decay: f32,
  momentum: f32,         // sgd μ
  gain: f32,             // sgd 1 − dampening
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  step_size: f32,        // adam lr / (1 − β1^t)
  inv_sqrt_bc2: f32,     // adam 1 / √(1 − β2^t)
  decay: f32,            // adamw 1 − lr·wd
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> theta: array<f32>;
@group(0) @binding(3) var<storage, read_write> state0: array<f32>;
@group(0) @binding(4) var<storage, read_write> state1: array<f32>;

override WG: u32 = 256u;
override MOMENTUM: bool = false;
override NESTEROV: bool = false;
override DECOUPLED: bool = false;

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  let th = theta[i];
  let g = grad[i] + p.weight_decay * th;
  var step = g;
  if (MOMENTUM) {
    // The first step must not read the buffer: PyTorch starts it at g, not at μ·0 + (1 − d)·g.
    var buf = g;
    if (p.first == 0u) { buf = p.momentum * state0[i] + p.gain * g; }
    state0[i] = buf;
    step = select(buf, g + p.momentum * buf, NESTEROV);
  }
  theta[i] = th - p.lr * step;
}

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = element_index(wid, nwg, lid, WG);
  if (i >= p.n) { return; }
  var th = theta[i];
  var g = grad[i];
  if (DECOUPLED) { th = th * p.decay; } else { g = g + p.weight_decay * th; }
  let m = p.beta1 * state0[i] + p.one_minus_beta1 * g;
  let v = p.beta2 * state1[i] + p.one_minus_beta2 * g * g;
  state0[i] = m;
  state1[i] = v;
  theta[i] = th - p.step_size * m / (sqrt(v) * p.inv_sqrt_bc2 + p.eps);
}
