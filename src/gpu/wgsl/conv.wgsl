// 2-D convolution, NCHW, with bias and a fused activation:
//   conv_gemm: implicit GEMM per (image, group): rows = output channels of the group, columns =
//              output positions, k = (input channel, tap); 64×64 output tiles through
//              workgroup memory in steps of 16 k, 4×4 outputs per invocation. The im2col matrix
//              is never written: each tile of it is read straight from the image.
//   depthwise: one output per invocation (one input channel per group).
// P: 0 N, 1 C (input channels), 2 H, 3 W, 4 M (output channels), 5 OH, 6 OW, 7 KH, 8 KW,
//    9 sh, 10 sw, 11 dh, 12 dw, 13 pad top, 14 pad left, 15 group, 16 clip lo, 17 clip hi.
// Injected: ACT (0 none, 1 relu, 2 clip, 3 silu, 4 sigmoid).
@group(0) @binding(1) var<storage, read> x : array<f32>;
@group(0) @binding(2) var<storage, read> w : array<f32>;
@group(0) @binding(3) var<storage, read> bias : array<f32>;
@group(0) @binding(4) var<storage, read_write> y : array<f32>;

fn pi(i : u32) -> i32 { return i32(P(i)); }

fn activate(v : f32) -> f32 {
  switch ACT {
    case 1u: { return select(0.0, v, v > 0.0); }
    case 2u: { return min(max(v, PF(16u)), PF(17u)); }
    case 3u: { return v / (1.0 + exp(-v)); }
    case 4u: { return 1.0 / (1.0 + exp(-v)); }
    default: { return v; }
  }
}

var<workgroup> tile_w : array<array<f32, 64>, 16>;  // [k][row]
var<workgroup> tile_x : array<array<f32, 64>, 16>;  // [k][column]

@compute @workgroup_size(16, 16)
fn conv_gemm(@builtin(workgroup_id) wg : vec3<u32>, @builtin(local_invocation_id) l : vec3<u32>) {
  let groups = P(15u);
  let image = wg.z / groups;
  let grp = wg.z % groups;
  let rows = P(4u) / groups;                     // output channels per group
  let cin = P(1u) / groups;                      // input channels per group
  let taps = P(7u) * P(8u);
  let depth = cin * taps;                        // k
  let cols = P(5u) * P(6u);
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let t = l.y * 16u + l.x;
  var acc : array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < depth; k0 = k0 + 16u) {
    // 1024 weights and 1024 image values per step, four of each per invocation.
    for (var e = 0u; e < 4u; e = e + 1u) {
      let idx = t + e * 256u;
      let kk = idx / 64u;
      let rc = idx % 64u;
      let k = k0 + kk;
      let row = row0 + rc;
      var wv = 0.0;
      if (k < depth && row < rows) { wv = w[(grp * rows + row) * depth + k]; }
      tile_w[kk][rc] = wv;
      let col = col0 + rc;
      var xv = 0.0;
      if (k < depth && col < cols) {
        let ci = k / taps;
        let tap = k % taps;
        let iy = pi(9u) * i32(col / P(6u)) - pi(13u) + pi(11u) * i32(tap / P(8u));
        let ix = pi(10u) * i32(col % P(6u)) - pi(14u) + pi(12u) * i32(tap % P(8u));
        if (iy >= 0 && iy < pi(2u) && ix >= 0 && ix < pi(3u)) {
          xv = x[((image * P(1u) + grp * cin + ci) * P(2u) + u32(iy)) * P(3u) + u32(ix)];
        }
      }
      tile_x[kk][rc] = xv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      var a : array<f32, 4>;
      var b : array<f32, 4>;
      for (var i = 0u; i < 4u; i = i + 1u) {
        a[i] = tile_w[kk][l.y + 16u * i];
        b[i] = tile_x[kk][l.x + 16u * i];
      }
      for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) { acc[i][j] = acc[i][j] + a[i] * b[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = row0 + l.y + 16u * i;
    if (row >= rows) { continue; }
    let m = grp * rows + row;
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = col0 + l.x + 16u * j;
      if (col >= cols) { continue; }
      y[(image * P(4u) + m) * cols + col] = activate(acc[i][j] + bias[m]);
    }
  }
}

@compute @workgroup_size(256)
fn depthwise(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let o = linear_index(g, nw);
  let cols = P(5u) * P(6u);
  if (o >= P(0u) * P(4u) * cols) { return; }
  let m = (o / cols) % P(4u);
  let image = o / (cols * P(4u));
  let c = m / (P(4u) / P(15u));  // the group's single input channel
  let oy = i32((o % cols) / P(6u));
  let ox = i32(o % P(6u));
  let plane = (image * P(1u) + c) * P(2u) * P(3u);
  var sum = 0.0;
  for (var i = 0; i < pi(7u); i = i + 1) {
    let iy = oy * pi(9u) - pi(13u) + i * pi(11u);
    if (iy < 0 || iy >= pi(2u)) { continue; }
    for (var j = 0; j < pi(8u); j = j + 1) {
      let ix = ox * pi(10u) - pi(14u) + j * pi(12u);
      if (ix < 0 || ix >= pi(3u)) { continue; }
      sum = sum + w[(m * P(7u) + u32(i)) * P(8u) + u32(j)] * x[plane + u32(iy * pi(3u) + ix)];
    }
  }
  y[o] = activate(sum + bias[m]);
}
