// The element-wise steps of the LRP rules (explain/lrp_rules.h rule_relevance), by STEP:
//   0 max(a, 0)   1 min(a, 0)   2 ones   3 a²   4 PF(1)·a + PF(2)·b
//   5 a / (b + ε·sign b), sign(0) = +1, ε = PF(1); 0 where the denominator is 0, and where
//     GATE·g ≤ 0 unless GATE is 0 (the gamma rule splits its output by the sign of z).
// P: 0 n, 1 and 2 scalars. Injected: STEP, GATE (0, 1 or -1 as i32).
@group(0) @binding(1) var<storage, read> a : array<f32>;
@group(0) @binding(2) var<storage, read> b : array<f32>;
@group(0) @binding(3) var<storage, read> g : array<f32>;
@group(0) @binding(4) var<storage, read_write> y : array<f32>;

@compute @workgroup_size(256)
fn apply(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(gid, nw);
  if (i >= P(0u)) { return; }
  let va = a[i];
  var out = 0.0;
  switch STEP {
    case 0u: { out = select(0.0, va, va > 0.0); }
    case 1u: { out = select(0.0, va, va < 0.0); }
    case 2u: { out = 1.0; }
    case 3u: { out = va * va; }
    case 4u: { out = PF(1u) * va + PF(2u) * b[i]; }
    default: {
      let z = b[i];
      let d = z + select(-PF(1u), PF(1u), z >= 0.0);
      out = select(va / d, 0.0, d == 0.0);
      if (GATE != 0 && !(f32(GATE) * g[i] > 0.0)) { out = 0.0; }
    }
  }
  y[i] = out;
}
