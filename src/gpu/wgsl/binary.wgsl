// Element-wise binary operators with numpy broadcasting: y = a ∘ b over the output shape
// (rank ≤ 6, dimensions right-aligned; a broadcast operand has stride 0 along a dimension).
// P: 0 n, 1 rank, 2..7 output dims, 8..13 a strides, 14..19 b strides. Injected: OP
// (0 add, 1 sub, 2 mul, 3 div).
@group(0) @binding(1) var<storage, read> a : array<f32>;
@group(0) @binding(2) var<storage, read> b : array<f32>;
@group(0) @binding(3) var<storage, read_write> y : array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let o = broadcast_offsets(i);
  let va = a[o.x];
  let vb = b[o.y];
  switch OP {
    case 0u: { y[i] = va + vb; }
    case 1u: { y[i] = va - vb; }
    case 2u: { y[i] = va * vb; }
    default: { y[i] = va / vb; }
  }
}
