// y = alpha · op(a) · op(b) + beta · c (ONNX Gemm; also its gradients), op = optional
// transpose, c broadcast through its row and column strides (0 for a broadcast dimension).
// 64×64 output tiles through workgroup memory in steps of 16 k, 4×4 outputs per invocation.
// P: 0 M, 1 N, 2 K, 3 alpha, 4 beta, 5 c row stride, 6 c column stride.
// Injected: TA, TB (bool).
@group(0) @binding(1) var<storage, read> a : array<f32>;
@group(0) @binding(2) var<storage, read> b : array<f32>;
@group(0) @binding(3) var<storage, read> c : array<f32>;
@group(0) @binding(4) var<storage, read_write> y : array<f32>;

var<workgroup> tile_a : array<array<f32, 64>, 16>;  // [k][row]
var<workgroup> tile_b : array<array<f32, 64>, 16>;  // [k][column]

fn load_a(row : u32, k : u32) -> f32 {
  if (row >= P(0u) || k >= P(2u)) { return 0.0; }
  if (TA) { return a[k * P(0u) + row]; }
  return a[row * P(2u) + k];
}

fn load_b(k : u32, col : u32) -> f32 {
  if (col >= P(1u) || k >= P(2u)) { return 0.0; }
  if (TB) { return b[col * P(2u) + k]; }
  return b[k * P(1u) + col];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(local_invocation_id) l : vec3<u32>) {
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let t = l.y * 16u + l.x;
  var acc : array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < P(2u); k0 = k0 + 16u) {
    for (var e = 0u; e < 4u; e = e + 1u) {
      let idx = t + e * 256u;
      let kk = idx / 64u;
      let rc = idx % 64u;
      tile_a[kk][rc] = load_a(row0 + rc, k0 + kk);
      tile_b[kk][rc] = load_b(k0 + kk, col0 + rc);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      var av : array<f32, 4>;
      var bv : array<f32, 4>;
      for (var i = 0u; i < 4u; i = i + 1u) {
        av[i] = tile_a[kk][l.y + 16u * i];
        bv[i] = tile_b[kk][l.x + 16u * i];
      }
      for (var i = 0u; i < 4u; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) { acc[i][j] = acc[i][j] + av[i] * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = row0 + l.y + 16u * i;
    if (row >= P(0u)) { continue; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = col0 + l.x + 16u * j;
      if (col >= P(1u)) { continue; }
      var v = PF(3u) * acc[i][j];
      if (PF(4u) != 0.0) { v = v + PF(4u) * c[row * P(5u) + col * P(6u)]; }
      y[row * P(1u) + col] = v;
    }
  }
}
