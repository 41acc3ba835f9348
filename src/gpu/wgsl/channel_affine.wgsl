// y = x·scale[c] + shift[c] over (N, C, rest...): BatchNormalization in inference form (the
// host folds mean, variance and epsilon into scale and shift), and its gradient with
// shift = 0. ss holds the C scales, then the C shifts. P: 0 n, 1 C, 2 inner (elements per
// channel plane), 3 use_shift.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> ss : array<f32>;
@group(0) @binding(3) var<storage, read_write> y : array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let c = (i / P(2u)) % P(1u);
  y[i] = x[i] * ss[c] + select(0.0, ss[P(1u) + c], P(3u) != 0u);
}
