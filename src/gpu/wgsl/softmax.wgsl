// Softmax, or with LOG LogSoftmax, along the middle axis of (outer, extent, inner): one
// invocation per (outer, inner) row, the maximum subtracted. P: 0 rows, 1 extent, 2 inner.
// Injected: LOG.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let r = linear_index(g, nw);
  if (r >= P(0u)) { return; }
  let extent = P(1u);
  let inner = P(2u);
  let base = (r / inner) * extent * inner + r % inner;
  var m = x[base];
  for (var a = 1u; a < extent; a = a + 1u) { m = max(m, x[base + a * inner]); }
  var sum = 0.0;
  for (var a = 0u; a < extent; a = a + 1u) { sum = sum + exp(x[base + a * inner] - m); }
  let log_sum = log(sum);
  for (var a = 0u; a < extent; a = a + 1u) {
    let shifted = x[base + a * inner] - m;
    y[base + a * inner] = select(exp(shifted) / sum, shifted - log_sum, LOG);
  }
}
