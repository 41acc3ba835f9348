// A complete WebGPU round trip from C++: upload, dispatch a WGSL kernel, read back.
//
// Used by the WebGPU smoke test and by the page to confirm the GPU path before it is chosen.
// Readback is asynchronous: `done` runs later from the browser's event loop, never blocking.
//
//   heatlens::gpu::affine_round_trip({1, 2, 3}, 2.0f, 1.0f,
//       [](std::vector<float> out, std::string error) { /* out == {3, 5, 7} */ });
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace heatlens::gpu {

using RoundTripDone = std::function<void(std::vector<float> result, std::string error)>;

void affine_round_trip(const std::vector<float>& values, float scale, float shift,
                       RoundTripDone done);

}  // namespace heatlens::gpu
