// Element-wise functions y = f(x) (ops/op_desc.h UnaryKind codes in KIND), with their
// gradients. P: 0 n, 1 alpha, 2 beta. Injected: KIND.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;

fn sigmoid(v : f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

fn unary(v : f32, a : f32, b : f32) -> f32 {
  switch KIND {
    case 1u: { return select(0.0, v, v > 0.0); }
    case 2u: { return min(max(v, a), b); }
    case 3u: { return sigmoid(v); }
    case 4u: { return min(1.0, max(0.0, a * v + b)); }
    case 5u: { return select(a * v, v, v > 0.0); }
    case 6u: { return tanh(clamp(v, -20.0, 20.0)); }
    case 7u: { return exp(v); }
    case 8u: { return abs(v); }
    case 9u: { return -v; }
    case 10u: { return select(a * (exp(v) - 1.0), v, v > 0.0); }
    case 11u: { return v * min(1.0, max(0.0, v / 6.0 + 0.5)); }
    case 12u: { return sqrt(v); }
    case 13u: { return log(v); }
    default: { return v; }
  }
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  y[i] = unary(x[i], PF(1u), PF(2u));
}
