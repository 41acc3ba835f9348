// out[i] = in[i] * scale + shift: the smallest useful compute kernel; the WebGPU smoke test
// runs it to prove the C++ → WGSL → readback path works in this browser.
struct Params {
  scale : f32,
  shift : f32,
  count : u32,
  pad : u32,
};

@group(0) @binding(0) var<storage, read> src : array<f32>;
@group(0) @binding(1) var<storage, read_write> dst : array<f32>;
@group(0) @binding(2) var<uniform> params : Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i = gid.x;
  if (i < params.count) {
    dst[i] = src[i] * params.scale + params.shift;
  }
}
