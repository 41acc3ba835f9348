// Blocks of a tensor viewed as (outer, axis, inner) copied into or out of a larger one along
// the axis: Concat (insert each input at its offset) and its gradient (extract).
// P: 0 n (elements of the small tensor), 1 small block (axis·inner of the small tensor),
//    2 large block (axis·inner of the large tensor), 3 offset (axis offset · inner).
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;

@compute @workgroup_size(256)
fn insert(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  y[(i / P(1u)) * P(2u) + P(3u) + i % P(1u)] = x[i];
}

@compute @workgroup_size(256)
fn extract(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  y[i] = x[(i / P(1u)) * P(2u) + P(3u) + i % P(1u)];
}
