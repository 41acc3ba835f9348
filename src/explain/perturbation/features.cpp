// Feature groupings: single features, a grid of patches, time–frequency tiles, SLIC
// superpixels, whole channels, or a user's segment map.
#include <algorithm>
#include <map>

#include "core/error.h"
#include "explain/perturbation/perturbation.h"
#include "explain/perturbation/slic.h"
#include "media/npy.h"

namespace heatlens {

namespace {

// x [1, ...] seen as [C, H, W]: the last two dims are spatial (a rank-2 input is one row).
struct PlaneView {
  int64_t channels, height, width;
};

PlaneView plane_view(const Tensor& x) {
  HEATLENS_CHECK(x.rank() >= 2 && x.dim(0) == 1,
                 "perturbation methods take one example [1, ...], got " << shape_str(x.shape()));
  const auto plane = plane_size(x);
  const int64_t h = plane.first, w = plane.second;
  return {x.numel() / (h * w), h, w};
}

FeatureGroups spatial_groups(const PlaneView& v, const std::vector<int32_t>& plane, int64_t count,
                             const std::string& kind) {
  FeatureGroups g;
  g.kind = kind;
  g.count = count;
  g.group.resize(v.channels * v.height * v.width);
  for (int64_t c = 0; c < v.channels; ++c)
    std::copy(plane.begin(), plane.end(), g.group.begin() + c * v.height * v.width);
  return g;
}

FeatureGroups patch_groups(const PlaneView& v, int64_t ph, int64_t pw, const std::string& kind) {
  HEATLENS_CHECK(ph >= 1 && pw >= 1, "patch sizes must be at least 1");
  const int64_t gw = (v.width + pw - 1) / pw, gh = (v.height + ph - 1) / ph;
  std::vector<int32_t> plane(v.height * v.width);
  for (int64_t y = 0; y < v.height; ++y)
    for (int64_t x = 0; x < v.width; ++x)
      plane[y * v.width + x] = static_cast<int32_t>((y / ph) * gw + x / pw);
  return spatial_groups(v, plane, gh * gw, kind);
}

}  // namespace

std::pair<int64_t, int64_t> plane_size(const Tensor& x) {
  if (x.rank() >= 4) return {x.dim(x.rank() - 2), x.dim(x.rank() - 1)};
  return {1, x.dim(x.rank() - 1)};
}

std::vector<ParamSpec> grouping_params(const std::string& default_kind,
                                       const std::string& default_patch) {
  return {
      {"grouping",
       ParamType::choice,
       default_kind,
       0,
       0,
       {"features", "grid", "tiles", "slic", "channels", "file"},
       "features removed together: single features, a grid of square patches, time–frequency "
       "tiles, SLIC superpixels, whole input channels, or segment-file"},
      {"patch",
       ParamType::integer,
       default_patch,
       1,
       4096,
       {},
       "patch side in pixels (grouping=grid)"},
      {"tile-freq",
       ParamType::integer,
       "8",
       1,
       4096,
       {},
       "tile height in frequency bins (grouping=tiles; the second-to-last input dim)"},
      {"tile-time",
       ParamType::integer,
       "8",
       1,
       4096,
       {},
       "tile width in frames (grouping=tiles; the last input dim)"},
      {"segments", ParamType::integer, "50", 1, 100000, {}, "wanted SLIC segments (grouping=slic)"},
      {"compactness",
       ParamType::number,
       "10",
       0.01,
       1000,
       {},
       "SLIC compactness: larger gives more square segments (grouping=slic)"},
      {"segment-file",
       ParamType::text,
       "",
       0,
       0,
       {},
       "an .npy of integer labels over the input's last two dims (grouping=file)"},
  };
}

void audio_grouping_defaults(const std::vector<ParamSpec>& specs, const Tensor& x,
                             std::map<std::string, std::string>& given) {
  if (given.count("grouping") || x.rank() < 3) return;
  auto spec = [&](const std::string& name) -> const ParamSpec* {
    for (const ParamSpec& s : specs)
      if (s.name == name) return &s;
    return nullptr;
  };
  const ParamSpec* grouping = spec("grouping");
  const ParamSpec* patch = spec("patch");
  if (!grouping || (grouping->default_value == "grid" && patch && patch->default_value == "1") ||
      grouping->default_value == "features")
    return;
  given["grouping"] = "tiles";
  const int64_t rows = x.dim(-2), cols = x.dim(-1);
  if (!given.count("tile-freq")) given["tile-freq"] = std::to_string((rows + 15) / 16);
  if (!given.count("tile-time")) given["tile-time"] = std::to_string((cols + 7) / 8);
}

FeatureGroups groups_from_labels(const std::vector<int64_t>& labels, const Tensor& x) {
  const PlaneView v = plane_view(x);
  HEATLENS_CHECK(static_cast<int64_t>(labels.size()) == v.height * v.width,
                 "the segment map has " << labels.size()
                                        << " labels; the input's last two dims have "
                                        << v.height * v.width << " elements");
  std::map<int64_t, int32_t> dense;
  std::vector<int32_t> plane(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    auto it = dense.find(labels[i]);
    if (it == dense.end()) it = dense.emplace(labels[i], static_cast<int32_t>(dense.size())).first;
    plane[i] = it->second;
  }
  return spatial_groups(v, plane, static_cast<int64_t>(dense.size()), "file");
}

FeatureGroups make_groups(const ParamValues& p, const Tensor& x, const ModelCard& card) {
  const PlaneView v = plane_view(x);
  const std::string kind = p.text("grouping");
  if (kind == "features") {
    FeatureGroups g;
    g.kind = kind;
    g.count = x.numel();
    g.group.resize(x.numel());
    for (int64_t i = 0; i < x.numel(); ++i) g.group[i] = static_cast<int32_t>(i);
    return g;
  }
  if (kind == "grid") return patch_groups(v, p.integer("patch"), p.integer("patch"), kind);
  if (kind == "tiles") return patch_groups(v, p.integer("tile-freq"), p.integer("tile-time"), kind);
  if (kind == "channels") {
    HEATLENS_CHECK(x.rank() >= 2, "grouping=channels needs an input [1, C, ...]");
    FeatureGroups g;
    g.kind = kind;
    g.count = x.dim(1);
    const int64_t per = x.numel() / x.dim(1);
    g.group.resize(x.numel());
    for (int64_t i = 0; i < x.numel(); ++i) g.group[i] = static_cast<int32_t>(i / per);
    return g;
  }
  if (kind == "slic") {
    HEATLENS_CHECK(x.rank() == 4,
                   "grouping=slic needs an image input [1, C, H, W], got " << shape_str(x.shape()));
    // SLIC reads colours in [0, 1]: undo the normalisation with the channel's input range.
    const auto ranges = channel_ranges(card, x);
    std::vector<float> image(x.numel());
    const int64_t hw = v.height * v.width;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const auto [lo, hi] = ranges[i / hw];
      image[i] = hi > lo ? (x.f32()[i] - lo) / (hi - lo) : 0.0f;
    }
    const std::vector<int32_t> labels =
        slic_segments(image.data(), v.channels, v.height, v.width, p.integer("segments"),
                      p.number("compactness"));
    const int64_t count = *std::max_element(labels.begin(), labels.end()) + 1;
    FeatureGroups g = spatial_groups(v, labels, count, kind);
    return g;
  }
  if (kind == "file") {
    const std::string path = p.text("segment-file");
    HEATLENS_CHECK(!path.empty(), "grouping=file needs segment-file=<labels.npy>");
    const Tensor labels = read_npy(path);
    HEATLENS_CHECK(labels.numel() == v.height * v.width,
                   "segment-file '" << path << "' has shape " << shape_str(labels.shape())
                                    << "; it must label the input's last two dims (" << v.height
                                    << "×" << v.width << ")");
    std::vector<int64_t> values(labels.numel());
    for (int64_t i = 0; i < labels.numel(); ++i) {
      if (labels.dtype() == DType::i64) {
        values[i] = labels.i64()[i];
        continue;
      }
      const float f = labels.f32()[i];
      HEATLENS_CHECK(f == static_cast<float>(static_cast<int64_t>(f)),
                     "segment-file '" << path << "' holds a non-integer label " << f);
      values[i] = static_cast<int64_t>(f);
    }
    return groups_from_labels(values, x);
  }
  fail("unknown grouping '" + kind + "'");
}

Tensor paint_groups(const FeatureGroups& g, const std::vector<double>& values, const Shape& shape) {
  Tensor out(shape);
  HEATLENS_CHECK(out.numel() == static_cast<int64_t>(g.group.size()) &&
                     static_cast<int64_t>(values.size()) == g.count,
                 "paint_groups: the grouping does not fit the input");
  for (int64_t i = 0; i < out.numel(); ++i) out.f32()[i] = static_cast<float>(values[g.group[i]]);
  return out;
}

}  // namespace heatlens
