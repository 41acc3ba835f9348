// SLIC superpixels (Achanta et al. 2012, "SLIC Superpixels Compared to State-of-the-Art
// Superpixel Methods"): k-means on (colour, position) restricted to 2S×2S windows around each
// centre, then connected components so every segment is one piece. Written here because the
// Debian libraries that have it (VLFeat, OpenCV contrib) do not build for WebAssembly.
#pragma once

#include <cstdint>
#include <vector>

namespace heatlens {

// image: planar [channels, height, width], values in [0, 1] (3 channels are read as RGB and
// clustered in CIELAB; other counts use their values scaled to L's range). segments: the
// wanted number (the result has about that many); compactness: weight of position against
// colour (larger: more square segments). Returns height×width labels 0..count-1.
std::vector<int32_t> slic_segments(const float* image, int64_t channels, int64_t height,
                                   int64_t width, int64_t segments, double compactness,
                                   int iterations = 10);

}  // namespace heatlens
