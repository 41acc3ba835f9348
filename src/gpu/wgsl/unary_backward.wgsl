// Gradients of the element-wise functions of unary.wgsl: dx = f'(·)·dy. `v` is the input x,
// or the output y for the kinds whose gradient the engine computes from it (sigmoid, tanh,
// exp, sqrt: ops vjp_uses_output). P: 0 n, 1 alpha, 2 beta. Injected: KIND.
@group(0) @binding(1) var<storage, read> v : array<f32>;
@group(0) @binding(2) var<storage, read> dy : array<f32>;
@group(0) @binding(3) var<storage, read_write> dx : array<f32>;

fn grad(x : f32, d : f32, a : f32, b : f32) -> f32 {
  switch KIND {
    case 1u: { return select(0.0, d, x > 0.0); }
    case 2u: { return select(0.0, d, x >= a && x <= b); }
    case 3u: { return d * x * (1.0 - x); }
    case 4u: { let t = a * x + b; return select(0.0, d * a, t > 0.0 && t < 1.0); }
    case 5u: { return select(a * d, d, x > 0.0); }
    case 6u: { return d * (1.0 - x * x); }
    case 7u: { return d * x; }
    case 8u: { return select(select(0.0, -d, x < 0.0), d, x > 0.0); }
    case 9u: { return -d; }
    case 10u: { return select(d * a * exp(x), d, x > 0.0); }
    case 11u: { return select(select(d * (x / 3.0 + 0.5), d, x > 3.0), 0.0, x < -3.0); }
    case 12u: { return d / (2.0 * x); }
    case 13u: { return d / x; }
    default: { return d; }
  }
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  dx[i] = grad(v[i], dy[i], PF(1u), PF(2u));
}
