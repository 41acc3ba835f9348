// Colour maps for heatmaps: diverging ones centred on zero for signed relevance (seismic, bwr,
// coolwarm) and sequential ones for unsigned maps (viridis, inferno, jet, gray), as the book's
// ch. 22 appendix recommends.
//
//   uint8_t rgb[3]; colormap_lookup(find_colormap("seismic"), 0.5, rgb);   // white: zero relevance
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace heatlens {

struct Colormap {
  std::string name;
  bool diverging;
  std::vector<std::array<float, 4>> stops;  // (position in [0, 1], r, g, b)
};

const std::vector<Colormap>& colormaps();
const Colormap& find_colormap(const std::string& name);
// t in [0, 1] → 8-bit RGB (linear interpolation between stops).
void colormap_lookup(const Colormap& map, double t, uint8_t rgb[3]);

}  // namespace heatlens
