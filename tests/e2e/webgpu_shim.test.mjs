// One test per entry of emsdk-config/webgpu-shim.js (the compatibility layer between
// Emscripten 3.1.6's library_webgpu.js and today's WebGPU), plus the C++ → WGSL → readback
// round trip through the engine. WebGPU runs on SwiftShader here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openPage } from './browser.mjs';

const shimSource = fs.readFileSync(new URL('../../emsdk-config/webgpu-shim.js', import.meta.url), 'utf8');
let session;

before(async () => {
  session = await openPage('/?coi=0');
  // Record which legacy names the browser lacks before the shim patches them.
  await session.page.evaluate(async () => {
    window.legacy = {
      dispatch: typeof GPUComputePassEncoder.prototype.dispatch,
      dispatchIndirect: typeof GPUComputePassEncoder.prototype.dispatchIndirect,
    };
    const adapter = await navigator.gpu.requestAdapter();
    window.device = await adapter.requestDevice();
  });
  await session.page.evaluate(shimSource);
});

after(async () => { await session.close(); });

// Runs a one-binding compute shader writing gid.x * 3 + 1 and returns the first `n` values.
// `dispatchWith` receives the pass and issues the dispatch (legacy name under test).
async function computeWith(page, dispatchKind) {
  return page.evaluate(async (kind) => {
    const device = window.device;
    const n = 70;
    const module = device.createShaderModule({ code: `
      @group(0) @binding(0) var<storage, read_write> out : array<u32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g : vec3<u32>) {
        if (g.x < ${n}u) { out[g.x] = g.x * 3u + 1u; }
      }` });
    device.pushErrorScope('validation');
    const pipeline = device.createComputePipeline({ compute: { module, entryPoint: 'main' } });
    const storage = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: storage } }] });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (kind === 'dispatch') {
      pass.dispatch(2, 1, 1);
    } else {
      const indirect = device.createBuffer({ size: 12, usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(indirect, 0, new Uint32Array([2, 1, 1]));
      pass.dispatchIndirect(indirect, 0);
    }
    pass.end();
    encoder.copyBufferToBuffer(storage, 0, staging, 0, n * 4);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    await staging.mapAsync(GPUMapMode.READ);
    const values = Array.from(new Uint32Array(staging.getMappedRange()));
    staging.unmap();
    return { values, error: error ? error.message : null };
  }, dispatchKind);
}

const expected = Array.from({ length: 70 }, (_, i) => i * 3 + 1);

test('shim entry 1: GPUComputePassEncoder.dispatch maps to dispatchWorkgroups', async () => {
  const legacy = await session.page.evaluate(() => window.legacy.dispatch);
  assert.equal(legacy, 'undefined', 'browser lacks the old name, so the entry is needed');
  const r = await computeWith(session.page, 'dispatch');
  assert.equal(r.error, null);
  assert.deepEqual(r.values, expected);
});

test('shim entry 2: GPUComputePassEncoder.dispatchIndirect maps to dispatchWorkgroupsIndirect', async () => {
  const r = await computeWith(session.page, 'dispatchIndirect');
  assert.equal(r.error, null);
  assert.deepEqual(r.values, expected);
});

for (const asyncVariant of [false, true]) {
  const name = asyncVariant ? 'createComputePipelineAsync' : 'createComputePipeline';
  test(`shim entry 3${asyncVariant ? 'b' : 'a'}: ${name} without a layout uses 'auto'`, async () => {
    const r = await session.page.evaluate(async ([method]) => {
      const device = window.device;
      const module = device.createShaderModule({ code: '@compute @workgroup_size(1) fn main() {}' });
      device.pushErrorScope('validation');
      let thrown = null;
      try {
        await device[method]({ compute: { module, entryPoint: 'main' } });
      } catch (e) { thrown = e.message; }
      const error = await device.popErrorScope();
      return { thrown, error: error ? error.message : null };
    }, [name]);
    assert.deepEqual(r, { thrown: null, error: null });
  });
}

for (const asyncVariant of [false, true]) {
  const name = asyncVariant ? 'createRenderPipelineAsync' : 'createRenderPipeline';
  test(`shim entry 4${asyncVariant ? 'b' : 'a'}: ${name} without a layout uses 'auto'`, async () => {
    const r = await session.page.evaluate(async ([method]) => {
      const device = window.device;
      const module = device.createShaderModule({ code: `
        @vertex fn vs(@builtin(vertex_index) i : u32) -> @builtin(position) vec4<f32> { return vec4<f32>(0.0, 0.0, 0.0, 1.0); }
        @fragment fn fs() -> @location(0) vec4<f32> { return vec4<f32>(1.0); }` });
      device.pushErrorScope('validation');
      let thrown = null;
      try {
        await device[method]({
          vertex: { module, entryPoint: 'vs' },
          fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
        });
      } catch (e) { thrown = e.message; }
      const error = await device.popErrorScope();
      return { thrown, error: error ? error.message : null };
    }, [name]);
    assert.deepEqual(r, { thrown: null, error: null });
  });
}

test('C++ → WGSL → readback round trip through the engine on WebGPU', async () => {
  const info = await session.page.evaluate(() => window.heatlensEngine.ready);
  assert.equal(info.webgpu, true, `engine got no WebGPU device: ${info.webgpuReason}`);
  const values = Array.from({ length: 131 }, (_, i) => i - 60.5);  // two partial workgroups
  const out = await session.page.evaluate((v) => window.heatlensEngine.call('gpuAffine', [v, 2, 0.25]), values);
  assert.deepEqual(out, values.map((v) => v * 2 + 0.25));
});
