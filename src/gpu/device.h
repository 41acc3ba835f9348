// WebGPU device access for the wasm builds.
//
// The page (or worker) requests the adapter and device in JavaScript and hands the device to
// the module as `Module.preinitializedWebGPUDevice` before the first GPU call; C++ then picks
// it up here. Native builds have no WebGPU backend and do not compile this file.
//
//   if (heatlens::gpu::available()) { WGPUDevice d = heatlens::gpu::device(); ... }
#pragma once

#include <webgpu/webgpu.h>

#include <string>

namespace heatlens::gpu {

// True when JavaScript provided a device.
bool available();

// The device (acquired once); throws heatlens::Error when none was provided.
WGPUDevice device();

// WGSL source of a shader family embedded at build time from src/gpu/wgsl/<name>.wgsl.
const char* wgsl_source(const std::string& name);

}  // namespace heatlens::gpu
