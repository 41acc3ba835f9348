// The "magnitude or phase?" query of Heiß et al., "In-Distribution Interpretability for
// Challenging Modalities" (2020), Table 1 and Figure 2, on a model whose input is a spectrum
// [1, 2, bins] with the magnitude and the phase as its two channels (instruments-spectrum):
//   - an RDE mask with two components (all magnitude, all phase), optimised per sample and
//     once over all samples of a class (a shared mask), gives each class's importance of the
//     magnitude and of the phase;
//   - the per-frequency RDE map over both channels, averaged over a class's samples.
// Samples are grouped by the model's prediction, the class RDE explains.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/tensor.h"
#include "explain/explain_model.h"

namespace heatlens {

struct MagnitudePhaseClass {
  int64_t class_index = 0;
  std::string label;
  int64_t samples = 0;
  double magnitude_mean = 0, magnitude_std = 0, phase_mean = 0, phase_std = 0;  // per sample
  double magnitude_class = 0, phase_class = 0;  // the mask shared by the class's samples
  std::vector<float> magnitude_map, phase_map;  // per frequency, mean over the class (Figure 2)
};

struct MagnitudePhaseResult {
  std::vector<MagnitudePhaseClass> classes;  // in class order; classes never predicted are absent
  std::vector<double> frequencies;           // Hz of each bin, when the card says (else empty)
  std::map<std::string, std::string> rde_params;
};

// inputs: [1, 2, bins] each. rde_params are passed to rde (grouping is set by the query; the
// rate defaults to relative with λ = 0.5: a channel stays when replacing it by noise costs more
// than a quarter of the distortion of replacing both);
// per_frequency=false skips the Figure 2 maps (one RDE per sample instead of two).
MagnitudePhaseResult magnitude_phase_query(ExplainModel& model, const std::vector<Tensor>& inputs,
                                           const std::map<std::string, std::string>& rde_params,
                                           bool per_frequency, Progress& progress);

// The table in the paper's form: class, samples, magnitude and phase importance (per-sample mean
// ± std, and the class mask).
std::string magnitude_phase_markdown(const MagnitudePhaseResult& r);
nlohmann::json magnitude_phase_json(const MagnitudePhaseResult& r);

}  // namespace heatlens
