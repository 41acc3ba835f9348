// Gradients of softmax.wgsl from its output y, one invocation per row:
//   Softmax:    dx = y·(dy − Σ dy·y);   LogSoftmax: dx = dy − exp(y)·Σ dy.
// P: 0 rows, 1 extent, 2 inner. Injected: LOG.
@group(0) @binding(1) var<storage, read> y : array<f32>;
@group(0) @binding(2) var<storage, read> dy : array<f32>;
@group(0) @binding(3) var<storage, read_write> dx : array<f32>;

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let r = linear_index(g, nw);
  if (r >= P(0u)) { return; }
  let extent = P(1u);
  let inner = P(2u);
  let base = (r / inner) * extent * inner + r % inner;
  var s = 0.0;
  for (var a = 0u; a < extent; a = a + 1u) {
    let k = base + a * inner;
    s = s + select(dy[k] * y[k], dy[k], LOG);
  }
  for (var a = 0u; a < extent; a = a + 1u) {
    let k = base + a * inner;
    dx[k] = select(y[k] * (dy[k] - s), dy[k] - exp(y[k]) * s, LOG);
  }
}
