// Folds over broadcast dimensions, and the reverse broadcast, both times a scale:
//   sum_to:       y[o] = scale · Σ x[i] over the i that fold onto o, or with MAX the maximum
//                 (gradients of broadcast operands; GlobalAveragePool with scale 1/HW;
//                 ReduceSum/Mean/Max, GlobalMaxPool);
//   broadcast_to: y[i] = scale · x[o(i)] (the gradients of GlobalAveragePool, ReduceSum/Mean);
//   max_backward: y[i] = dy[o(i)] where x[i] is the maximum of its fold, shared equally by all
//                 maxima, or with FIRST given to the first one only.
// Shapes of equal rank ≤ 6 (small = every dim 1 or the big one's). P: 0 n (elements of the
// tensor iterated), 1 rank, 2..7 big dims, 8..13 small dims, 14 scale. Injected: MAX, FIRST.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;
@group(0) @binding(3) var<storage, read> dy : array<f32>;

// The big offset of small element o's first member, and how many big elements fold onto it.
fn fold_base(o : u32) -> vec2<u32> {
  var rest = o;
  var base = 0u;
  var stride = 1u;
  var count = 1u;
  for (var d = P(1u); d > 0u; d = d - 1u) {
    let big = P(1u + d);
    let small = P(7u + d);
    let c = rest % small;
    rest = rest / small;
    base = base + c * stride;
    if (small == 1u) { count = count * big; }
    stride = stride * big;
  }
  return vec2<u32>(base, count);
}

// The big offset of member k (the reduced coordinates, innermost fastest) of the fold at base.
fn fold_member(base : u32, k : u32) -> u32 {
  var kr = k;
  var offset = base;
  var s = 1u;
  for (var d = P(1u); d > 0u; d = d - 1u) {
    let big = P(1u + d);
    if (P(7u + d) == 1u && big > 1u) {
      offset = offset + (kr % big) * s;
      kr = kr / big;
    }
    s = s * big;
  }
  return offset;
}

// The small element that big element i folds onto.
fn fold_target(i : u32) -> u32 {
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
  return o;
}

fn fold_max(f : vec2<u32>) -> f32 {
  var m = x[f.x];
  for (var k = 1u; k < f.y; k = k + 1u) { m = max(m, x[fold_member(f.x, k)]); }
  return m;
}

@compute @workgroup_size(256)
fn sum_to(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let o = linear_index(g, nw);
  if (o >= P(0u)) { return; }
  let f = fold_base(o);
  if (MAX) {
    y[o] = fold_max(f);
    return;
  }
  var sum = 0.0;
  for (var k = 0u; k < f.y; k = k + 1u) { sum = sum + x[fold_member(f.x, k)]; }
  y[o] = sum * PF(14u);
}

@compute @workgroup_size(256)
fn broadcast_to(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  y[i] = x[fold_target(i)] * PF(14u);
}

@compute @workgroup_size(256)
fn max_backward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let o = fold_target(i);
  let f = fold_base(o);
  let m = fold_max(f);
  if (x[i] != m) {
    y[i] = 0.0;
    return;
  }
  var count = 0u;
  var first = i;
  for (var k = 0u; k < f.y; k = k + 1u) {
    let j = fold_member(f.x, k);
    if (x[j] == m) {
      if (count == 0u) { first = j; }
      count = count + 1u;
    }
  }
  if (FIRST) {
    y[i] = select(0.0, dy[o], first == i);
  } else {
    y[i] = dy[o] / f32(count);
  }
}
