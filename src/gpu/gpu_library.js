// JavaScript side of the WebGPU backend's waits (src/gpu/context.cpp), linked with
// --js-library into the wasm modules.
//
// WebGPU answers readbacks and error scopes only asynchronously. The engine waits for them
// with JavaScript Promise Integration: web/js/engine-jspi.js wraps the functions marked
// `heatlensSuspending` in WebAssembly.Suspending when it instantiates the module, and runs
// GPU-backed calls through WebAssembly.promising, so C++ pauses while the worker's event loop
// goes on. Without JSPI the module reports that it cannot wait, and the GPU backend is off.
mergeInto(LibraryManager.library, {
  heatlens_gpu_can_wait: function () {
    return Module['heatlensJspi'] ? 1 : 0;
  },

  // Pops the two error scopes the run pushed (validation, out-of-memory), then maps `staging`
  // and copies `bytes` of it to `dest`. Returns 0, or 1 with a message written to `error`.
  heatlens_gpu_finish__deps: ['$WebGPU'],
  heatlens_gpu_finish__postset: '_heatlens_gpu_finish.heatlensSuspending = true;',
  heatlens_gpu_finish: function (deviceId, stagingId, bytes, dest, error, errorCapacity) {
    var device = WebGPU.mgrDevice.get(deviceId);
    var staging = stagingId ? WebGPU.mgrBuffer.get(stagingId) : null;
    var fail = function (message) {
      stringToUTF8(String(message), error, errorCapacity);
      return 1;
    };
    return (async function () {
      try {
        var oom = await device.popErrorScope();
        var invalid = await device.popErrorScope();
        if (oom) return fail('WebGPU ran out of memory: ' + oom.message);
        if (invalid) return fail('WebGPU validation error: ' + invalid.message);
        if (!staging || bytes === 0) return 0;
        await staging.mapAsync(GPUMapMode.READ, 0, bytes);
        HEAPU8.set(new Uint8Array(staging.getMappedRange(0, bytes)), dest);
        staging.unmap();
        return 0;
      } catch (e) {
        return fail('WebGPU readback failed (device lost?): ' + ((e && e.message) || e));
      }
    })();
  },
});
