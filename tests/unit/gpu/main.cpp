// Entry of the GPU test module: Catch2 runs from an exported function that the page calls
// through WebAssembly.promising (JSPI), so that the tests can wait for the GPU.
#define CATCH_CONFIG_RUNNER
#include <emscripten/emscripten.h>

#include <catch2/catch.hpp>
#include <cstdint>

#include "gpu/device_batches.h"
#include "gpu/device_lrp.h"

extern "C" {

EMSCRIPTEN_KEEPALIVE int heatlens_gpu_tests_run() {
  heatlens::set_device_relevance(&heatlens::gpu::device_relevance_pass);
  heatlens::set_device_batches(&heatlens::gpu::webgpu_batches);
  const char* argv[] = {"heatlens_gpu_tests", "--use-colour", "no"};
  return Catch::Session().run(3, argv);
}

// Its table index, for WebAssembly.promising(table.get(index)).
EMSCRIPTEN_KEEPALIVE uintptr_t heatlens_gpu_tests_entry() {
  return reinterpret_cast<uintptr_t>(&heatlens_gpu_tests_run);
}
}
