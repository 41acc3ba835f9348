// Shared machinery of the perturbation methods: feature groupings (which input elements are
// kept or removed together), obfuscation (what replaces removed features) and batched,
// cancellable scoring of perturbed inputs.
//
//   FeatureGroups g = make_groups(params, x, model.card());       // e.g. SLIC superpixels
//   Obfuscator obf(params, x, model.card());                      // e.g. Gaussian blur
//   BatchScorer scorer(model, target, params.integer("batch-size"), progress);
//   std::vector<double> f = scorer.scores(n, [&](int64_t i, float* input) { ... });
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/rng.h"
#include "explain/explain_model.h"
#include "explain/params.h"

namespace heatlens {

// The plane the spatial groupings, windows and masks act on: the last two dims of an image
// [1, C, H, W] (or [1, C, F, T] spectrogram); a signal [1, C, L] or vector [1, D] is one row.
std::pair<int64_t, int64_t> plane_size(const Tensor& x);

// A partition of one example's elements into `count` groups.
struct FeatureGroups {
  std::vector<int32_t> group;  // per element of the example, in [0, count)
  int64_t count = 0;
  std::string kind;
};

// Parameters of the grouping (grouping, patch, tile-freq, tile-time, segments, compactness,
// segment-file); `default_kind` is the method's default grouping.
// On a sound's input (a model card with an audio front end), SLIC superpixels and square
// patches are image notions: when the caller did not choose a grouping, a method whose default
// groups several features gets time–frequency tiles instead, about 16 along the second-to-last
// dim (frequency) and 8 along the last (time). Per-feature defaults (rde's) stay.
void audio_grouping_defaults(const std::vector<ParamSpec>& specs, const Tensor& x,
                             std::map<std::string, std::string>& given);
std::vector<ParamSpec> grouping_params(const std::string& default_kind,
                                       const std::string& default_patch = "4");
FeatureGroups make_groups(const ParamValues& p, const Tensor& x, const ModelCard& card);
// Groups over the last two dims of x ([1, C, H, W]: shared by all channels) from a label map
// of H×W integers (any values; relabelled densely in order of first appearance).
FeatureGroups groups_from_labels(const std::vector<int64_t>& labels, const Tensor& x);
// Paints one value per group onto an input-shaped map.
Tensor paint_groups(const FeatureGroups& g, const std::vector<double>& values, const Shape& shape);

// Parameters of the obfuscation (obfuscation, blur-sigma, noise-scale).
std::vector<ParamSpec> obfuscation_params(const std::string& default_kind);

// What replaces removed features: a fixed tensor (zero, the dataset mean, the per-channel mean
// of x, a Gaussian blur of x) or a fresh draw of noise each time (uniform in the input range,
// Gaussian with x's per-channel mean and std times noise-scale).
class Obfuscator {
 public:
  Obfuscator(const ParamValues& p, const Tensor& x, const ModelCard& card);
  // A replacement for x (same shape); fixed kinds return the same tensor every time.
  const Tensor& sample(Rng& rng);
  // Whether each sample is a fresh draw (noise) rather than one fixed tensor.
  bool random() const { return random_; }

 private:
  std::string kind_;
  bool random_ = false;
  Tensor fixed_;
  std::vector<std::pair<float, float>> ranges_;  // per channel: noise bounds or mean/std
  int64_t channels_ = 1, per_channel_ = 1;
};

// The parameters every perturbation method shares: batch-size and seed.
std::vector<ParamSpec> batch_params();

// Runs perturbed inputs through the model in batches: `build(i, input)` writes the i-th
// perturbed example (x's numel floats); each batch is one engine run, reports progress and
// honours cancellation.
class BatchScorer {
 public:
  BatchScorer(ExplainModel& model, const Tensor& x, int64_t batch_size, Progress& progress);
  using Build = std::function<void(int64_t i, float* input)>;
  // Logits rows [count][classes].
  std::vector<std::vector<float>> logits(int64_t count, const Build& build);
  // The target score of each perturbed input.
  std::vector<double> scores(int64_t count, const Target& t, const Build& build);

 private:
  ExplainModel& model_;
  Shape example_shape_;
  int64_t batch_size_;
  Progress& progress_;
};

// Perturbed batches made where the model runs (gpu/device_batches.cpp on WebGPU): the masks and
// masked inputs are made by kernels and never reach the host; only the logits come back.
class DeviceBatches {
 public:
  virtual ~DeviceBatches() = default;
  // RISE: logits [n, classes] of x·m_j + r·(1 − m_j), m_j grid j bilinearly upsampled from
  // gh×gw to uh×uw and cropped at (dy_j, dx_j) to the h×w plane. `grids` holds per mask the
  // gh·gw cell values, then dy and dx. The masks are kept for accumulate().
  struct RiseGeometry {
    int64_t h, w, gh, gw, uh, uw;
  };
  virtual Tensor rise(const std::vector<float>& grids, int64_t n, const RiseGeometry& geo) = 0;
  // Adds Σ_j weight_j·m_j and Σ_j m_j over the last rise batch's masks to running sums.
  virtual void accumulate(const std::vector<float>& weights) = 0;
  // The running sums: h·w weighted, then h·w plain.
  virtual std::vector<float> sums() = 0;
  // Occlusion: logits of x with windows first .. first + n − 1 (row-major over the window
  // positions, nx per row) set to `baseline` across every plane.
  struct Windows {
    int64_t h, w, kh, kw, sh, sw, nx;
    float baseline;
  };
  virtual Tensor occlusion(int64_t first, int64_t n, const Windows& windows) = 0;
};

// Device batches for the model's backend over x (r: what replaces masked-out elements, RISE
// only; undefined for occlusion, whose baseline is a number), or
// null when the CPU makes the batches (no accelerator, an external runner, a fixed batch of 1).
std::unique_ptr<DeviceBatches> device_batches(ExplainModel& m, const Tensor& x, const Tensor& r);
using DeviceBatchesFactory = std::unique_ptr<DeviceBatches> (*)(Engine& engine,
                                                                const OutputHead& head,
                                                                const Tensor& x, const Tensor& r);
void set_device_batches(DeviceBatchesFactory factory);

}  // namespace heatlens
