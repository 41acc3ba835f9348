#include "eval/magnitude_phase.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "explain/method.h"

namespace heatlens {

namespace {

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / v.size();
}

double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return v.size() < 2 ? 0.0 : std::sqrt(s / (v.size() - 1));
}

}  // namespace

MagnitudePhaseResult magnitude_phase_query(ExplainModel& model, const std::vector<Tensor>& inputs,
                                           const std::map<std::string, std::string>& rde_params,
                                           bool per_frequency, Progress& progress) {
  HEATLENS_CHECK(!inputs.empty(), "the magnitude/phase query needs at least one input");
  for (const Tensor& x : inputs)
    HEATLENS_CHECK(x.rank() == 3 && x.dim(0) == 1 && x.dim(1) == 2,
                   "the magnitude/phase query needs spectra [1, 2, bins] (magnitude and phase "
                   "channels, as instruments-spectrum's), not "
                       << shape_str(x.shape()));
  for (const char* fixed : {"grouping", "refine"})
    HEATLENS_CHECK(!rde_params.count(fixed), "the query sets rde's '" << fixed << "' itself");
  const int64_t bins = inputs[0].dim(2);
  MagnitudePhaseResult result;
  const ModelCard& card = model.card();
  if (card.has_audio_frontend && card.audio.feature == "log-frequency-dft" &&
      card.audio.bins == bins) {
    const double lo = std::max(card.audio.f_min, 1.0), hi = card.audio.f_max;
    for (int64_t k = 0; k < bins; ++k)
      result.frequencies.push_back(lo * std::pow(hi / lo, static_cast<double>(k) / (bins - 1)));
  }
  // The samples of each predicted class.
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < inputs.size(); ++i) {
    HEATLENS_CHECK(inputs[i].dim(2) == bins, "every spectrum must have " << bins << " bins");
    const Target t = ExplainModel::resolve_target(model.logits(inputs[i]), TargetSpec{});
    by_class[t.class_index].push_back(i);
  }
  const int64_t n = static_cast<int64_t>(inputs.size());
  progress.set_total(n * (per_frequency ? 2 : 1) + static_cast<int64_t>(by_class.size()));
  Progress quiet(nullptr, progress.cancel_flag());
  // The rate relative to the distortion of replacing the whole spectrum, so that "worth
  // keeping" means the same for every note, however loud the model's scores are.
  std::map<std::string, std::string> two = rde_params;
  two.emplace("rate", "relative");
  two.emplace("lambda", "0.5");
  std::map<std::string, std::string> each = two;
  result.rde_params = two;
  two["grouping"] = "channels";
  each["grouping"] = "features";
  for (auto it = by_class.begin(); it != by_class.end(); ++it) {
    MagnitudePhaseClass c;
    c.class_index = it->first;
    c.label = static_cast<size_t>(it->first) < card.labels.size() ? card.labels[it->first]
                                                                  : std::to_string(it->first);
    c.samples = static_cast<int64_t>(it->second.size());
    TargetSpec spec;
    spec.class_index = it->first;
    std::vector<double> mags, phases;
    std::vector<Tensor> members;
    if (per_frequency) {
      c.magnitude_map.assign(bins, 0.0f);
      c.phase_map.assign(bins, 0.0f);
    }
    for (size_t i : it->second) {
      members.push_back(inputs[i]);
      const Attribution a = explain(model, inputs[i], "rde", spec, two, quiet);
      mags.push_back(a.relevance.f32()[0]);
      phases.push_back(a.relevance.f32()[bins]);
      progress.step();
      if (!per_frequency) continue;
      const Attribution f = explain(model, inputs[i], "rde", spec, each, quiet);
      for (int64_t k = 0; k < bins; ++k) {
        c.magnitude_map[k] += f.relevance.f32()[k] / c.samples;
        c.phase_map[k] += f.relevance.f32()[bins + k] / c.samples;
      }
      progress.step();
    }
    c.magnitude_mean = mean_of(mags);
    c.magnitude_std = std_of(mags);
    c.phase_mean = mean_of(phases);
    c.phase_std = std_of(phases);
    const Attribution shared = explain_shared(model, stack_batch(members), "rde", spec, two, quiet);
    c.magnitude_class = shared.relevance.f32()[0];
    c.phase_class = shared.relevance.f32()[bins];
    progress.step();
    result.classes.push_back(std::move(c));
  }
  return result;
}

std::string magnitude_phase_markdown(const MagnitudePhaseResult& r) {
  std::string out =
      "| class | samples | magnitude (per sample) | phase (per sample) | magnitude (class mask) "
      "| phase (class mask) |\n|---|---:|---:|---:|---:|---:|\n";
  char line[256];
  for (const MagnitudePhaseClass& c : r.classes) {
    std::snprintf(line, sizeof line, "| %s | %lld | %.3f ± %.3f | %.3f ± %.3f | %.3f | %.3f |\n",
                  c.label.c_str(), static_cast<long long>(c.samples), c.magnitude_mean,
                  c.magnitude_std, c.phase_mean, c.phase_std, c.magnitude_class, c.phase_class);
    out += line;
  }
  return out;
}

nlohmann::json magnitude_phase_json(const MagnitudePhaseResult& r) {
  nlohmann::json j = {{"query", "magnitude-phase"},
                      {"method", "rde"},
                      {"rde_params", r.rde_params},
                      {"classes", nlohmann::json::array()}};
  if (!r.frequencies.empty()) j["frequencies"] = r.frequencies;
  for (const MagnitudePhaseClass& c : r.classes) {
    nlohmann::json row = {
        {"class", c.class_index},
        {"label", c.label},
        {"samples", c.samples},
        {"magnitude", {{"mean", c.magnitude_mean}, {"std", c.magnitude_std}}},
        {"phase", {{"mean", c.phase_mean}, {"std", c.phase_std}}},
        {"class_mask", {{"magnitude", c.magnitude_class}, {"phase", c.phase_class}}}};
    if (!c.magnitude_map.empty()) {
      row["magnitude_map"] = c.magnitude_map;
      row["phase_map"] = c.phase_map;
    }
    j["classes"].push_back(row);
  }
  return j;
}

}  // namespace heatlens
