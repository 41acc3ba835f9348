// Obfuscation: what replaces the features a perturbation removes.
#include <cmath>

#include "core/error.h"
#include "explain/perturbation/perturbation.h"
#include "media/filters.h"

namespace heatlens {

std::vector<ParamSpec> obfuscation_params(const std::string& default_kind) {
  return {
      {"obfuscation",
       ParamType::choice,
       default_kind,
       0,
       0,
       {"zero", "mean", "channel-mean", "blur", "uniform-noise", "gaussian-noise"},
       "what replaces removed features: zero, the dataset mean (from the model card), the "
       "input's per-channel mean, a Gaussian blur of the input, uniform noise over the input "
       "range, or Gaussian noise with the input's per-channel mean and std"},
      {"blur-sigma",
       ParamType::number,
       "10",
       0.1,
       1000,
       {},
       "Gaussian σ in pixels (obfuscation=blur)"},
      {"noise-scale",
       ParamType::number,
       "1",
       0,
       100,
       {},
       "multiplies the std of obfuscation=gaussian-noise"},
  };
}

std::vector<ParamSpec> batch_params() {
  return {
      {"batch-size",
       ParamType::integer,
       "32",
       1,
       4096,
       {},
       "perturbed inputs per engine run (larger: faster, more memory)"},
      {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed (same seed, same result)"},
  };
}

Obfuscator::Obfuscator(const ParamValues& p, const Tensor& x, const ModelCard& card)
    : kind_(p.text("obfuscation")) {
  // Channels are dim 1 of [1, C, ...]; a rank-2 input [1, D] is one channel of D features.
  channels_ = x.rank() >= 3 ? x.dim(1) : 1;
  per_channel_ = x.numel() / channels_;
  auto per_channel_fill = [&](const std::vector<double>& value) {
    Tensor t(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i)
      t.f32()[i] = static_cast<float>(value[i / per_channel_]);
    return t;
  };
  std::vector<double> mean(channels_, 0), sq(channels_, 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    mean[i / per_channel_] += x.f32()[i];
    sq[i / per_channel_] += static_cast<double>(x.f32()[i]) * x.f32()[i];
  }
  for (int64_t c = 0; c < channels_; ++c) {
    mean[c] /= static_cast<double>(per_channel_);
    sq[c] = std::sqrt(std::max(0.0, sq[c] / static_cast<double>(per_channel_) - mean[c] * mean[c]));
  }
  if (kind_ == "zero") {
    fixed_ = Tensor(x.shape());
  } else if (kind_ == "mean") {
    // The card normalises with the dataset mean, so the mean image is 0 in input space.
    HEATLENS_CHECK(card.has_card && !card.image.mean.empty(),
                   "obfuscation=mean needs a model card that gives the dataset mean; use "
                   "channel-mean or zero for a model without one");
    fixed_ = Tensor(x.shape());
  } else if (kind_ == "channel-mean") {
    fixed_ = per_channel_fill(mean);
  } else if (kind_ == "blur") {
    HEATLENS_CHECK(x.rank() >= 4, "obfuscation=blur needs an image input [1, C, H, W], got "
                                      << shape_str(x.shape()));
    fixed_ = gaussian_blur(x, p.number("blur-sigma"));
  } else if (kind_ == "uniform-noise") {
    random_ = true;
    ranges_ = channel_ranges(card, x);
  } else if (kind_ == "gaussian-noise") {
    random_ = true;
    const double scale = p.number("noise-scale");
    for (int64_t c = 0; c < channels_; ++c)
      ranges_.emplace_back(static_cast<float>(mean[c]), static_cast<float>(sq[c] * scale));
  } else {
    fail("unknown obfuscation '" + kind_ + "'");
  }
  if (random_) fixed_ = Tensor(x.shape());
}

const Tensor& Obfuscator::sample(Rng& rng) {
  if (!random_) return fixed_;
  float* out = fixed_.f32();
  for (int64_t i = 0; i < fixed_.numel(); ++i) {
    const auto [a, b] = ranges_[i / per_channel_];
    out[i] = kind_ == "uniform-noise" ? static_cast<float>(a + (b - a) * rng.uniform())
                                      : static_cast<float>(a + b * rng.normal());
  }
  return fixed_;
}

}  // namespace heatlens
