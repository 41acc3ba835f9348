#include "gpu/device.h"

#include <emscripten/em_asm.h>
#include <emscripten/html5_webgpu.h>

#include "core/error.h"
#include "gpu/wgsl_sources.h"

namespace heatlens::gpu {

bool available() {
  // The dummy argument keeps -Wpedantic quiet about an empty variadic list.
  return EM_ASM_INT({ return Module['preinitializedWebGPUDevice'] ? 1 : 0; }, 0) != 0;
}

WGPUDevice device() {
  static WGPUDevice cached = nullptr;
  if (!cached) {
    HEATLENS_CHECK(available(), "WebGPU is not available: no device was given to the engine");
    cached = emscripten_webgpu_get_device();
    HEATLENS_CHECK(cached != nullptr, "WebGPU device acquisition failed");
  }
  return cached;
}

const char* wgsl_source(const std::string& name) {
  for (const WgslSource& s : kWgslSources) {
    if (name == s.name) return s.source;
  }
  fail("no WGSL shader family named '" + name + "'");
}

}  // namespace heatlens::gpu
