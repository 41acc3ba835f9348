// Sums over broadcast dimensions, and the reverse broadcast, both times a scale:
//   sum_to:       y[o] = scale · Σ x[i] over the i that map to o (gradients of broadcast
//                 operands; GlobalAveragePool with scale 1/HW);
//   broadcast_to: y[i] = scale · x[o(i)] (GlobalAveragePool's gradient).
// Shapes of equal rank ≤ 6 (small = every dim 1 or the big one's). P: 0 n (elements of the
// tensor iterated), 1 rank, 2..7 big dims, 8..13 small dims, 14 scale.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;

@compute @workgroup_size(256)
fn sum_to(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let o = linear_index(g, nw);
  if (o >= P(0u)) { return; }
  let rank = P(1u);
  // Coordinates of o in the small shape, the big tensor's base offset for them, and the
  // number of big elements that fold onto it.
  var rest = o;
  var base = 0u;
  var stride = 1u;
  var count = 1u;
  for (var d = rank; d > 0u; d = d - 1u) {
    let big = P(1u + d);
    let small = P(7u + d);
    let c = rest % small;
    rest = rest / small;
    base = base + c * stride;
    if (small == 1u) { count = count * big; }
    stride = stride * big;
  }
  var sum = 0.0;
  for (var k = 0u; k < count; k = k + 1u) {
    // k enumerates the reduced coordinates (innermost fastest).
    var kr = k;
    var offset = base;
    var s = 1u;
    for (var d = rank; d > 0u; d = d - 1u) {
      let big = P(1u + d);
      if (P(7u + d) == 1u && big > 1u) {
        offset = offset + (kr % big) * s;
        kr = kr / big;
      }
      s = s * big;
    }
    sum = sum + x[offset];
  }
  y[o] = sum * PF(14u);
}

@compute @workgroup_size(256)
fn broadcast_to(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  var rest = i;
  var o = 0u;
  var stride = 1u;
  for (var d = P(1u); d > 0u; d = d - 1u) {
    let big = P(1u + d);
    let small = P(7u + d);
    let c = rest % big;
    rest = rest / big;
    if (small != 1u) { o = o + c * stride; }
    stride = stride * small;
  }
  y[i] = x[o] * PF(14u);
}
