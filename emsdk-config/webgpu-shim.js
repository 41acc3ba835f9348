// WebGPU compatibility shim, prepended (--pre-js) to the wasm modules.
//
// Debian's Emscripten 3.1.6 ships a library_webgpu.js written against an older WebGPU
// draft than today's browsers implement. Each entry below maps one old name or default to
// the current API, only when the browser lacks it; tests/e2e/webgpu_shim.test.mjs has one
// test per entry. Add an entry (and its test) when a browser drops another old name.
(function heatlensWebGpuShim(scope) {
  'use strict';
  if (!scope || typeof scope.GPUDevice === 'undefined') return;  // no WebGPU: nothing to fix

  // 1. GPUComputePassEncoder.dispatch → dispatchWorkgroups (renamed in the 2022 spec).
  // 2. GPUComputePassEncoder.dispatchIndirect → dispatchWorkgroupsIndirect.
  var pass = scope.GPUComputePassEncoder && scope.GPUComputePassEncoder.prototype;
  if (pass) {
    if (!pass.dispatch && pass.dispatchWorkgroups) {
      pass.dispatch = function (x, y, z) { return this.dispatchWorkgroups(x, y, z); };
    }
    if (!pass.dispatchIndirect && pass.dispatchWorkgroupsIndirect) {
      pass.dispatchIndirect = function (buffer, offset) {
        return this.dispatchWorkgroupsIndirect(buffer, offset);
      };
    }
  }

  // 3. createComputePipeline / 4. createRenderPipeline: `layout` became required; the old
  //    default (an implicit layout) is now spelled 'auto'.
  var device = scope.GPUDevice.prototype;
  ['createComputePipeline', 'createRenderPipeline',
   'createComputePipelineAsync', 'createRenderPipelineAsync'].forEach(function (name) {
    var original = device[name];
    if (!original || original.heatlensShimmed) return;
    var patched = function (descriptor) {
      if (descriptor && descriptor.layout === undefined) {
        descriptor = Object.assign({}, descriptor, { layout: 'auto' });
      }
      return original.call(this, descriptor);
    };
    patched.heatlensShimmed = true;
    device[name] = patched;
  });
})(typeof globalThis !== 'undefined' ? globalThis : this);
