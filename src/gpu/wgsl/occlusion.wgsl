// Occlusion's inputs, made on the GPU (explain/perturbation/occlusion.cpp): input j is x with
// window (first + j) — row-major over ny×nx positions, kh×kw, strides sh, sw — set to the
// baseline across every plane. P: 0 n·E, 1 E, 2 h, 3 w, 4 kh, 5 kw, 6 sh, 7 sw, 8 nx,
// 9 first window, 10 baseline (f32).
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> inputs : array<f32>;

@compute @workgroup_size(256)
fn occlude(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let j = i / P(1u);
  let k = i % P(1u);
  let pos = k % (P(2u) * P(3u));
  let y = pos / P(3u);
  let c = pos % P(3u);
  let window = P(9u) + j;
  let y0 = (window / P(8u)) * P(6u);
  let x0 = (window % P(8u)) * P(7u);
  let inside = y >= y0 && y < y0 + P(4u) && c >= x0 && c < x0 + P(5u);
  inputs[i] = select(x[k], PF(10u), inside);
}
