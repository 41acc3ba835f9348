// Max and average pooling over (N·C) planes, and average pooling's gradient (gathered per
// input element, so no two invocations write the same value). Windows as ops/max_pool.cpp and
// ops/average_pool.cpp: max takes the first maximum and propagates NaN; the average divides by
// the window clipped to the padded (count_include_pad) or the real image.
// P: 0 n (elements written), 1 H, 2 W, 3 OH, 4 OW, 5 KH, 6 KW, 7 sh, 8 sw, 9 dh, 10 dw,
//    11 pad top, 12 pad left, 13 pad bottom, 14 pad right, 15 count_include_pad.
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read_write> y : array<f32>;

fn pi(i : u32) -> i32 { return i32(P(i)); }

@compute @workgroup_size(256)
fn max_pool(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let o = linear_index(g, nw);
  if (o >= P(0u)) { return; }
  let plane = o / (P(3u) * P(4u));
  let oy = i32((o / P(4u)) % P(3u));
  let ox = i32(o % P(4u));
  let base = plane * P(1u) * P(2u);
  var found = false;
  var best = 0.0;
  for (var i = 0; i < pi(5u); i = i + 1) {
    let yy = oy * pi(7u) - pi(11u) + i * pi(9u);
    if (yy < 0 || yy >= pi(1u)) { continue; }
    for (var j = 0; j < pi(6u); j = j + 1) {
      let xx = ox * pi(8u) - pi(12u) + j * pi(10u);
      if (xx < 0 || xx >= pi(2u)) { continue; }
      let v = x[base + u32(yy * pi(2u) + xx)];
      if (!found || v > best || v != v) {
        best = v;
        found = true;
      }
    }
  }
  // −∞ for a window entirely in the padding (built at run time: WGSL constants must be finite).
  y[o] = select(bitcast<f32>(0xff800000u | (P(0u) & 0u)), best, found);
}

// The clipped window of output (oy, ox): rows [y0, y1), columns [x0, x1), and its divisor.
struct Window { y0 : i32, y1 : i32, x0 : i32, x1 : i32, div : f32 }

fn avg_window(oy : i32, ox : i32) -> Window {
  var w : Window;
  var y0 = oy * pi(7u) - pi(11u);
  var y1 = min(y0 + pi(5u), pi(1u) + pi(13u));
  let span_h = y1 - y0;
  y0 = max(y0, 0);
  y1 = min(y1, pi(1u));
  var x0 = ox * pi(8u) - pi(12u);
  var x1 = min(x0 + pi(6u), pi(2u) + pi(14u));
  let span_w = x1 - x0;
  x0 = max(x0, 0);
  x1 = min(x1, pi(2u));
  let count = select((y1 - y0) * (x1 - x0), span_h * span_w, P(15u) != 0u);
  w.y0 = y0; w.y1 = y1; w.x0 = x0; w.x1 = x1;
  w.div = f32(max(count, 1));
  return w;
}

@compute @workgroup_size(256)
fn avg_pool(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let o = linear_index(g, nw);
  if (o >= P(0u)) { return; }
  let plane = o / (P(3u) * P(4u));
  let w = avg_window(i32((o / P(4u)) % P(3u)), i32(o % P(4u)));
  let base = plane * P(1u) * P(2u);
  var sum = 0.0;
  for (var yy = w.y0; yy < w.y1; yy = yy + 1) {
    for (var xx = w.x0; xx < w.x1; xx = xx + 1) { sum = sum + x[base + u32(yy * pi(2u) + xx)]; }
  }
  y[o] = sum / w.div;
}

// x = dy (N·C·OH·OW), y = dx (N·C·H·W); n counts dx.
@compute @workgroup_size(256)
fn avg_pool_backward(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(0u)) { return; }
  let plane = i / (P(1u) * P(2u));
  let iy = i32((i / P(2u)) % P(1u));
  let ix = i32(i % P(2u));
  // Outputs whose window starts at most one kernel before this element.
  let oy0 = max(0, (iy + pi(11u) - pi(5u) + pi(7u)) / pi(7u));
  let oy1 = min(pi(3u) - 1, (iy + pi(11u)) / pi(7u));
  let ox0 = max(0, (ix + pi(12u) - pi(6u) + pi(8u)) / pi(8u));
  let ox1 = min(pi(4u) - 1, (ix + pi(12u)) / pi(8u));
  var sum = 0.0;
  for (var oy = oy0; oy <= oy1; oy = oy + 1) {
    for (var ox = ox0; ox <= ox1; ox = ox + 1) {
      let w = avg_window(oy, ox);
      if (iy >= w.y0 && iy < w.y1 && ix >= w.x0 && ix < w.x1) {
        sum = sum + x[plane * P(3u) * P(4u) + u32(oy * pi(4u) + ox)] / w.div;
      }
    }
  }
  y[i] = sum;
}
