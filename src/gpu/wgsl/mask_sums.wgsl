// RISE's running sums over a batch of masks (rise_masks.wgsl): sums[k] += Σ_j w_j·m_j[k] and
// sums[hw + k] += Σ_j m_j[k]. One invocation per plane position, so no two write one value.
// P: 0 hw, 1 n.
@group(0) @binding(1) var<storage, read> masks : array<f32>;
@group(0) @binding(2) var<storage, read> weights : array<f32>;
@group(0) @binding(3) var<storage, read_write> sums : array<f32>;

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let k = linear_index(g, nw);
  let hw = P(0u);
  if (k >= hw) { return; }
  var weighted = 0.0;
  var plain = 0.0;
  for (var j = 0u; j < P(1u); j = j + 1u) {
    let m = masks[j * hw + k];
    weighted = weighted + weights[j] * m;
    plain = plain + m;
  }
  sums[k] = sums[k] + weighted;
  sums[hw + k] = sums[hw + k] + plain;
}
