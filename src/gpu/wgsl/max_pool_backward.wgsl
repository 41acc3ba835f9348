// Max pooling's gradient, gathered per input element: each window that contains the element
// and whose first maximum (NaN first, as the forward) it is sends its output gradient.
// P as pool.wgsl, with 0 n = elements of dx.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> dy : array<f32>;
@group(0) @binding(3) var<storage, read_write> dx : array<f32>;

fn pi(i : u32) -> i32 { return i32(P(i)); }

// Flat in-plane index of the maximum of window (oy, ox), or -1.
fn argmax(base : u32, oy : i32, ox : i32) -> i32 {
  var best_i = -1;
  var best = 0.0;
  for (var i = 0; i < pi(5u); i = i + 1) {
    let yy = oy * pi(7u) - pi(11u) + i * pi(9u);
    if (yy < 0 || yy >= pi(1u)) { continue; }
    for (var j = 0; j < pi(6u); j = j + 1) {
      let xx = ox * pi(8u) - pi(12u) + j * pi(10u);
      if (xx < 0 || xx >= pi(2u)) { continue; }
      let v = x[base + u32(yy * pi(2u) + xx)];
      if (best_i < 0 || v > best || v != v) {
        best = v;
        best_i = yy * pi(2u) + xx;
      }
    }
  }
  return best_i;
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let plane = i / (P(1u) * P(2u));
  let iy = i32((i / P(2u)) % P(1u));
  let ix = i32(i % P(2u));
  let base = plane * P(1u) * P(2u);
  let me = iy * pi(2u) + ix;
  var sum = 0.0;
  for (var a = 0; a < pi(5u); a = a + 1) {
    let ty = iy + pi(11u) - a * pi(9u);
    if (ty < 0 || ty % pi(7u) != 0) { continue; }
    let oy = ty / pi(7u);
    if (oy >= pi(3u)) { continue; }
    for (var b = 0; b < pi(6u); b = b + 1) {
      let tx = ix + pi(12u) - b * pi(10u);
      if (tx < 0 || tx % pi(8u) != 0) { continue; }
      let ox = tx / pi(8u);
      if (ox >= pi(4u)) { continue; }
      if (argmax(base, oy, ox) == me) {
        sum = sum + dy[plane * P(3u) * P(4u) + u32(oy * pi(4u) + ox)];
      }
    }
  }
  dx[i] = sum;
}
