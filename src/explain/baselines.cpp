#include "explain/baselines.h"

#include <algorithm>

#include "core/error.h"
#include "media/filters.h"
#include "media/npy.h"

namespace heatlens {

const std::vector<std::string>& baseline_kinds() {
  static const std::vector<std::string> kinds = {"zero", "black", "blur", "uniform-noise", "mean"};
  return kinds;
}

std::vector<ParamSpec> baseline_params() {
  return {
      {"baseline",
       ParamType::text,
       "zero",
       0,
       0,
       {},
       "reference input: zero, black (input range minimum), blur, uniform-noise, mean, or a path "
       "to an .npy"},
      {"blur-sigma",
       ParamType::number,
       "10",
       0.1,
       1000,
       {},
       "Gaussian σ in pixels for baseline=blur"},
      {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed (baseline=uniform-noise)"},
  };
}

Tensor make_baseline(const std::string& kind, const Tensor& x, const ModelCard& card,
                     double blur_sigma, uint64_t seed) {
  const int64_t channels = x.rank() >= 2 ? x.dim(1) : 1;
  const int64_t per_channel = x.numel() / (x.dim(0) * channels);
  auto fill_per_channel = [&](auto value_of) {
    Tensor b(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) b.f32()[i] = value_of((i / per_channel) % channels, i);
    return b;
  };
  if (kind == "zero") return Tensor(x.shape());
  const auto ranges = channel_ranges(card, x);
  if (kind == "black") {
    return fill_per_channel([&](int64_t c, int64_t) { return ranges[c].first; });
  }
  if (kind == "blur") {
    HEATLENS_CHECK(x.rank() >= 3, "baseline=blur needs an input with spatial dimensions");
    return gaussian_blur(x, blur_sigma);
  }
  if (kind == "uniform-noise") {
    Rng rng(seed);
    return fill_per_channel([&](int64_t c, int64_t) {
      const auto [lo, hi] = ranges[c];
      return static_cast<float>(lo + (hi - lo) * rng.uniform());
    });
  }
  if (kind == "mean") {
    std::vector<double> mean(channels, 0);
    for (int64_t i = 0; i < x.numel(); ++i) mean[(i / per_channel) % channels] += x.f32()[i];
    for (auto& m : mean) m /= static_cast<double>(x.numel() / channels);
    return fill_per_channel([&](int64_t c, int64_t) { return static_cast<float>(mean[c]); });
  }
  if (kind.size() > 4 && kind.compare(kind.size() - 4, 4, ".npy") == 0) {
    Tensor b = read_npy(kind);
    if (b.shape() != x.shape() && b.numel() == x.numel()) b = b.reshaped(x.shape());
    HEATLENS_CHECK(b.shape() == x.shape(), "baseline '"
                                               << kind << "' has shape " << shape_str(b.shape())
                                               << ", the input has " << shape_str(x.shape()));
    return b;
  }
  fail("unknown baseline '" + kind + "' (zero, black, blur, uniform-noise, mean or an .npy path)");
}

}  // namespace heatlens
