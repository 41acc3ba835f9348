// The gradient contribution of one operand of binary.wgsl, over the output shape (the host
// sums it down to the operand's shape with reduce.wgsl when the operand was broadcast).
// P as binary.wgsl. Injected: OP, WHICH (0: ∂/∂a, 1: ∂/∂b).
@group(0) @binding(1) var<storage, read> a : array<f32>;
@group(0) @binding(2) var<storage, read> b : array<f32>;
@group(0) @binding(3) var<storage, read> dy : array<f32>;
@group(0) @binding(4) var<storage, read_write> dx : array<f32>;

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let o = broadcast_offsets(i);
  let va = a[o.x];
  let vb = b[o.y];
  let d = dy[i];
  var r = d;
  switch OP {
    case 0u: { r = d; }
    case 1u: { r = select(d, -d, WHICH == 1u); }
    case 2u: { r = select(d * vb, d * va, WHICH == 1u); }
    default: { r = select(d / vb, -d * va / (vb * vb), WHICH == 1u); }
  }
  dx[i] = r;
}
