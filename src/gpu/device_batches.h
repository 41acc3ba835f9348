// Perturbation batches on the WebGPU backend (explain/perturbation/perturbation.h
// DeviceBatches): RISE's masks are upsampled from their coarse grids and applied by
// wgsl/rise_masks.wgsl, summed by wgsl/mask_sums.wgsl; occlusion's windows are painted by
// wgsl/occlusion.wgsl. The batches go straight into the GPU forward; the logits (n × classes)
// and, at the end, RISE's two h×w sums are all that come back.
//
//   set_device_batches(&gpu::webgpu_batches);   // once, by the bindings
#pragma once

#include "explain/perturbation/perturbation.h"

namespace heatlens::gpu {

// Null when the engine's backend is not WebGPU.
std::unique_ptr<DeviceBatches> webgpu_batches(Engine& engine, const OutputHead& head,
                                              const Tensor& x, const Tensor& r);

}  // namespace heatlens::gpu
