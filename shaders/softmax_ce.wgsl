// Row-wise softmax cross-entropy on logits z (rows × classes, row stride ld, at z_off), one thread
// per row (class counts are small; each row is read in one pass with an online max/sum).
//
// Writes, for row r:
//   stats[r]        = logsumexp(z_r) − z_r[y_r]        (per-row loss)
//   stats[rows + r] = 1 if argmax(z_r) = y_r else 0     (ties go to the lowest index)
//   WANT_DELTA: delta[r, c]     = scale·(p_c − [c = y_r]),   p = softmax(z_r)
//   DUAL:       delta_dot[r, c] = scale·p_c·(ż_c − ⟨p, ż⟩)
// delta and delta_dot are rows × classes, dense, overwritten. scale is 1/N for a mean loss.

//#include "grid.wgsl"

struct Params {
  rows: u32,
  classes: u32,
  z_off: u32,
  ld: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> z_dot: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;
@group(0) @binding(6) var<storage, read_write> delta_dot: array<f32>;

override WG: u32 = 64u;
override WANT_DELTA: bool = true;
override DUAL: bool = false;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = element_index(wid, nwg, lid, WG);
  if (r >= p.rows) { return; }
  let base = p.z_off + r * p.ld;
  let y = labels[r];
  var m = z[base];
  var arg = 0u;
  var sum = 1.0;
  for (var c = 1u; c < p.classes; c++) {
    let v = z[base + c];
    if (v > m) {
      sum = sum * exp(m - v) + 1.0;
      m = v;
      arg = c;
    } else {
      sum += exp(v - m);
    }
  }
  let lse = m + log(sum);
  stats[r] = lse - z[base + y];
  stats[p.rows + r] = select(0.0, 1.0, arg == y);
  if (!WANT_DELTA) { return; }
  var pz = 0.0;
  if (DUAL) {
    for (var c = 0u; c < p.classes; c++) { pz += exp(z[base + c] - lse) * z_dot[base + c]; }
  }
  let out = r * p.classes;
  for (var c = 0u; c < p.classes; c++) {
    let pc = exp(z[base + c] - lse);
    delta[out + c] = p.scale * (pc - select(0.0, 1.0, c == y));
    if (DUAL) { delta_dot[out + c] = p.scale * pc * (z_dot[base + c] - pz); }
  }
}
