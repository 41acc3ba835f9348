// The input gradient of conv.wgsl (a transposed convolution), gathered per input element:
// dx[n, c, iy, ix] = Σ over the group's output channels m and taps (i, j) with
// iy = oy·sh − pad_top + i·dh (and likewise for x) of w[m, c mod cin, i, j] · dy[n, m, oy, ox].
// P as conv.wgsl; 16 total dx elements.
@group(0) @binding(1) var<storage, read> dy : array<f32>;
@group(0) @binding(2) var<storage, read> w : array<f32>;
@group(0) @binding(3) var<storage, read_write> dx : array<f32>;

fn pi(i : u32) -> i32 { return i32(P(i)); }

@compute @workgroup_size(256)
fn data(@builtin(global_invocation_id) g : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let i = linear_index(g, nw);
  if (i >= P(16u)) { return; }
  let ix = i32(i % P(3u));
  let iy = i32((i / P(3u)) % P(2u));
  let c = (i / (P(2u) * P(3u))) % P(1u);
  let image = i / (P(1u) * P(2u) * P(3u));
  let groups = P(15u);
  let cin = P(1u) / groups;
  let rows = P(4u) / groups;
  let grp = c / cin;
  let cl = c % cin;
  let cols = P(5u) * P(6u);
  var sum = 0.0;
  for (var a = 0; a < pi(7u); a = a + 1) {
    let ty = iy + pi(13u) - a * pi(11u);
    if (ty < 0 || ty % pi(9u) != 0) { continue; }
    let oy = ty / pi(9u);
    if (oy >= pi(5u)) { continue; }
    for (var b = 0; b < pi(8u); b = b + 1) {
      let tx = ix + pi(14u) - b * pi(12u);
      if (tx < 0 || tx % pi(10u) != 0) { continue; }
      let ox = tx / pi(10u);
      if (ox >= pi(6u)) { continue; }
      let pos = u32(oy * pi(6u) + ox);
      for (var r = 0u; r < rows; r = r + 1u) {
        let m = grp * rows + r;
        sum = sum + w[((m * cin + cl) * P(7u) + u32(a)) * P(8u) + u32(b)] *
                    dy[(image * P(4u) + m) * cols + pos];
      }
    }
  }
  dx[i] = sum;
}
