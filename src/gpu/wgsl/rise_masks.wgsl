// RISE's masked inputs, made on the GPU (explain/perturbation/rise.cpp): mask j is its coarse
// binary grid (gh×gw) bilinearly upsampled to uh×uw (media/filters.cpp resize_bilinear: half-
// pixel centres, clamped) and cropped at (dy_j, dx_j) to the h×w plane; input j is
// x·m + r·(1 − m) over every plane of the example. The masks are written too (RISE sums them).
// grids: per mask gh·gw values, then dy and dx. P: 0 n·E, 1 E (example size), 2 h, 3 w, 4 gh,
// 5 gw, 6 uh, 7 uw.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> r : array<f32>;
@group(0) @binding(3) var<storage, read> grids : array<f32>;
@group(0) @binding(4) var<storage, read_write> inputs : array<f32>;
@group(0) @binding(5) var<storage, read_write> masks : array<f32>;

// Source cells i0, i1 and the weight of i1 for output coordinate o.
fn coord(o : u32, n_in : u32, n_out : u32) -> vec3<f32> {
  let v = clamp((f32(o) + 0.5) * f32(n_in) / f32(n_out) - 0.5, 0.0, f32(n_in - 1u));
  let i0 = floor(v);
  return vec3<f32>(i0, min(i0 + 1.0, f32(n_in - 1u)), v - i0);
}

@compute @workgroup_size(256)
fn rise(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let e = P(1u);
  let j = i / e;
  let k = i % e;
  let hw = P(2u) * P(3u);
  let pos = k % hw;
  let cells = P(4u) * P(5u);
  let base = j * (cells + 2u);
  let yy = pos / P(3u) + u32(grids[base + cells]);
  let xx = pos % P(3u) + u32(grids[base + cells + 1u]);
  let cy = coord(yy, P(4u), P(6u));
  let cx = coord(xx, P(5u), P(7u));
  let row0 = base + u32(cy.x) * P(5u);
  let row1 = base + u32(cy.y) * P(5u);
  let top = grids[row0 + u32(cx.x)] * (1.0 - cx.z) + grids[row0 + u32(cx.y)] * cx.z;
  let bottom = grids[row1 + u32(cx.x)] * (1.0 - cx.z) + grids[row1 + u32(cx.y)] * cx.z;
  let m = top * (1.0 - cy.z) + bottom * cy.z;
  inputs[i] = x[k] * m + r[k] * (1.0 - m);
  if (k < hw) { masks[j * hw + k] = m; }
}
