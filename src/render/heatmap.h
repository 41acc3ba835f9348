// Heatmap rendering (book ch. 22 appendix): relevance summed over channels; signed maps scaled
// by max|R| and drawn with a diverging map centred on zero, unsigned maps scaled to their maximum
// with a sequential map; optionally blended over the (de-normalised, grey) input.
//
//   Image rgba = render_heatmap(attribution.relevance, true, find_colormap("seismic"));
//   write_png("heatmap.png", rgba);
#pragma once

#include <string>

#include "media/image.h"
#include "media/model_card.h"
#include "render/colormap.h"

namespace heatlens {

// Channel-summed map [H, W] of a relevance tensor [1, C, H, W] (or [1, C, L] as 1 × L).
Tensor channel_sum(const Tensor& relevance);

// RGBA image of the map; `signed_map` picks centring on zero (the colour map should be
// diverging). With `alpha_by_magnitude` the opacity grows with |relevance| (zero is fully
// transparent), which is what an overlay on the input wants.
Image render_heatmap(const Tensor& relevance, bool signed_map, const Colormap& map,
                     bool alpha_by_magnitude = false);

// Blends the heatmap over the input (shown in grey), with heat opacity `alpha`.
Image overlay_heatmap(const Image& heat, const Tensor& input, const ModelCard& card, double alpha);

std::vector<uint8_t> encode_png(const Image& image);
void write_png(const std::string& path, const Image& image);

}  // namespace heatlens
