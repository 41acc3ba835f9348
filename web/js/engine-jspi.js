// Instantiates the heatlens module with JavaScript Promise Integration, so that its C++ can
// wait for the GPU (src/gpu/gpu_library.js) while this worker's event loop goes on.
//
// The module's imports marked `heatlensSuspending` are wrapped in WebAssembly.Suspending; the
// export that runs deferred calls (src/bindings/gpu_bindings.cpp) in WebAssembly.promising.
// Browsers without JSPI get the plain module: the CPU backend only.
//
//   const jspi = jspiOptions(wasmUrl);
//   const engine = await createHeatlens({ ...jspi.options });
//   const run = jspi.promising(engine.deferredRunner());   // null without JSPI
//   engine.defer('explain', args); await run(); engine.takeDeferred();

export function jspiSupported() {
  return typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function';
}

export function jspiOptions(wasmUrl) {
  if (!jspiSupported()) return { options: {}, promising: () => null };
  let table = null;
  const options = {
    heatlensJspi: true,
    instantiateWasm(imports, receiveInstance) {
      for (const module of Object.values(imports)) {
        for (const [name, value] of Object.entries(module)) {
          if (typeof value === 'function' && value.heatlensSuspending) module[name] = new WebAssembly.Suspending(value);
        }
      }
      WebAssembly.instantiateStreaming(fetch(wasmUrl), imports).then(({ instance, module }) => {
        table = Object.values(instance.exports).find((e) => e instanceof WebAssembly.Table);
        receiveInstance(instance, module);
      }, (e) => { throw e; });
      return {};  // the exports arrive through receiveInstance
    },
  };
  // The function at a table index (a C++ function pointer), returning a Promise.
  const promising = (index) => (table ? WebAssembly.promising(table.get(index)) : null);
  return { options, promising };
}
