// Occlusion: relevance of an element = mean over the windows covering it of f(x) − f(x with the
// window replaced by the baseline). Zeiler & Fergus 2014, "Visualizing and Understanding
// Convolutional Networks"; sliding-window semantics as Captum's Occlusion.
#include <cstring>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/perturbation.h"

namespace heatlens {

namespace {

Attribution run_occlusion(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                          Progress& progress) {
  HEATLENS_CHECK(x.rank() >= 2, "occlusion needs an input [1, ...], got " << shape_str(x.shape()));
  // Windows slide over the last two dims (the last one for a rank-2 input), across all channels.
  const auto plane = plane_size(x);
  const int64_t h = plane.first, w = plane.second;
  const int64_t planes = x.numel() / (h * w);
  const int64_t k = p.integer("window"), s = p.integer("stride");
  const int64_t kh = h > 1 ? k : 1, sh = h > 1 ? s : 1;
  HEATLENS_CHECK(kh <= h && k <= w, "window " << k << " is larger than the input's "
                                              << (h > 1 ? std::to_string(h) + "×" : "") << w);
  const int64_t ny = (h - kh) / sh + 1, nx = (w - k) / s + 1;
  const float baseline = static_cast<float>(p.number("baseline"));
  progress.set_total(ny * nx + 1);
  BatchScorer scorer(m, x, p.integer("batch-size"), progress);
  const double fx = scorer.scores(
      1, t, [&](int64_t, float* in) { std::memcpy(in, x.f32(), x.numel() * sizeof(float)); })[0];
  std::vector<double> f;
  if (std::unique_ptr<DeviceBatches> device = device_batches(m, x, Tensor())) {
    // The occluded inputs are made on the accelerator; only their logits come back.
    const DeviceBatches::Windows windows{h, w, kh, k, sh, s, nx, baseline};
    const int64_t batch = p.integer("batch-size");
    for (int64_t first = 0; first < ny * nx; first += batch) {
      progress.check_cancel();
      const int64_t n = std::min(batch, ny * nx - first);
      const Tensor l = device->occlusion(first, n, windows);
      m.count_passes(n);
      for (int64_t j = 0; j < n; ++j)
        f.push_back(ExplainModel::score(l.f32() + j * l.dim(1), l.dim(1), t));
      progress.step(n);
    }
  } else {
    f = scorer.scores(ny * nx, t, [&](int64_t i, float* in) {
      std::memcpy(in, x.f32(), x.numel() * sizeof(float));
      const int64_t y0 = (i / nx) * sh, x0 = (i % nx) * s;
      for (int64_t c = 0; c < planes; ++c)
        for (int64_t y = y0; y < y0 + kh; ++y)
          for (int64_t xx = x0; xx < x0 + k; ++xx) in[(c * h + y) * w + xx] = baseline;
    });
  }
  std::vector<double> sum(h * w, 0.0), count(h * w, 0.0);
  for (int64_t i = 0; i < ny * nx; ++i) {
    const int64_t y0 = (i / nx) * sh, x0 = (i % nx) * s;
    for (int64_t y = y0; y < y0 + kh; ++y) {
      for (int64_t xx = x0; xx < x0 + k; ++xx) {
        sum[y * w + xx] += fx - f[i];
        count[y * w + xx] += 1;
      }
    }
  }
  Attribution out;
  out.relevance = Tensor(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t pos = i % (h * w);
    out.relevance.f32()[i] = count[pos] > 0 ? static_cast<float>(sum[pos] / count[pos]) : 0.0f;
  }
  out.notes["windows"] = std::to_string(ny * nx);
  return out;
}

}  // namespace

void register_occlusion(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> params = {
      {"window",
       ParamType::integer,
       "4",
       1,
       4096,
       {},
       "window side in pixels (over the last two dims, all channels at once)"},
      {"stride", ParamType::integer, "2", 1, 4096, {}, "step between windows"},
      {"baseline",
       ParamType::number,
       "0",
       -1e6,
       1e6,
       {},
       "value written into the window (0 is the dataset mean for a normalised input)"},
  };
  for (ParamSpec& s : batch_params())
    if (s.name == "batch-size") params.push_back(s);
  r.push_back({"occlusion", MethodFamily::perturbation, "forward", "1 forward per window position",
               "Zeiler & Fergus 2014, \"Visualizing and Understanding Convolutional Networks\"",
               "score drop when a sliding window is replaced by a baseline, averaged over the "
               "windows covering each element",
               params, run_occlusion});
}

}  // namespace heatlens
