#include "render/colormap.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace heatlens {

const std::vector<Colormap>& colormaps() {
  // Control points sampled from matplotlib's maps of the same names.
  static const std::vector<Colormap> maps = {
      {"seismic",
       true,
       {{0.0f, 0.0f, 0.0f, 0.3f},
        {0.25f, 0.0f, 0.0f, 1.0f},
        {0.5f, 1.0f, 1.0f, 1.0f},
        {0.75f, 1.0f, 0.0f, 0.0f},
        {1.0f, 0.5f, 0.0f, 0.0f}}},
      {"bwr", true, {{0.0f, 0.0f, 0.0f, 1.0f}, {0.5f, 1.0f, 1.0f, 1.0f}, {1.0f, 1.0f, 0.0f, 0.0f}}},
      {"coolwarm",
       true,
       {{0.0f, 0.230f, 0.299f, 0.754f},
        {0.25f, 0.552f, 0.690f, 0.996f},
        {0.5f, 0.865f, 0.865f, 0.865f},
        {0.75f, 0.956f, 0.604f, 0.486f},
        {1.0f, 0.706f, 0.016f, 0.150f}}},
      {"jet",
       false,
       {{0.0f, 0.0f, 0.0f, 0.5f},
        {0.11f, 0.0f, 0.0f, 1.0f},
        {0.125f, 0.0f, 0.0f, 1.0f},
        {0.34f, 0.0f, 0.86f, 1.0f},
        {0.35f, 0.0f, 0.9f, 0.97f},
        {0.64f, 0.97f, 1.0f, 0.0f},
        {0.65f, 1.0f, 0.96f, 0.0f},
        {0.89f, 1.0f, 0.0f, 0.0f},
        {1.0f, 0.5f, 0.0f, 0.0f}}},
      {"viridis",
       false,
       {{0.0f, 0.267f, 0.005f, 0.329f},
        {0.125f, 0.283f, 0.141f, 0.458f},
        {0.25f, 0.254f, 0.265f, 0.530f},
        {0.375f, 0.207f, 0.372f, 0.553f},
        {0.5f, 0.164f, 0.471f, 0.558f},
        {0.625f, 0.128f, 0.567f, 0.551f},
        {0.75f, 0.135f, 0.659f, 0.518f},
        {0.875f, 0.478f, 0.821f, 0.318f},
        {1.0f, 0.993f, 0.906f, 0.144f}}},
      {"inferno",
       false,
       {{0.0f, 0.001f, 0.000f, 0.014f},
        {0.125f, 0.116f, 0.042f, 0.285f},
        {0.25f, 0.258f, 0.039f, 0.406f},
        {0.375f, 0.416f, 0.090f, 0.433f},
        {0.5f, 0.578f, 0.148f, 0.404f},
        {0.625f, 0.735f, 0.216f, 0.330f},
        {0.75f, 0.865f, 0.317f, 0.226f},
        {0.875f, 0.954f, 0.469f, 0.098f},
        {1.0f, 0.988f, 0.998f, 0.645f}}},
      {"gray", false, {{0.0f, 0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f, 1.0f}}},
  };
  return maps;
}

const Colormap& find_colormap(const std::string& name) {
  std::string names;
  for (const Colormap& m : colormaps()) {
    if (m.name == name) return m;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  fail("unknown colormap '" + name + "' (" + names + ")");
}

void colormap_lookup(const Colormap& map, double t, uint8_t rgb[3]) {
  t = std::clamp(t, 0.0, 1.0);
  size_t i = 1;
  while (i + 1 < map.stops.size() && map.stops[i][0] < t) ++i;
  const auto& a = map.stops[i - 1];
  const auto& b = map.stops[i];
  const double f = b[0] > a[0] ? (t - a[0]) / (b[0] - a[0]) : 0.0;
  for (int c = 0; c < 3; ++c) {
    const double v = a[c + 1] + f * (b[c + 1] - a[c + 1]);
    rgb[c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
  }
}

}  // namespace heatlens
