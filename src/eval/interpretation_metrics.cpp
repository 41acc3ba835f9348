// The interpretation metrics of "Posthoc Interpretation via Quantization" (eq. 3 and 4): the
// interpretation x_int = x ⊙ r keeps the input where the normalised positive relevance r is
// high (in the input's raw [0, 1] range, before normalisation).
#include <algorithm>

#include "core/error.h"
#include "eval/metric.h"

namespace heatlens {

namespace {

// x_int (keep = true) or x − x_int (keep = false), back in the model's input space.
Tensor interpretation(const EvalInput& in, bool keep) {
  const Tensor& x = in.x;
  std::vector<double> r = spatial_relevance(in.attribution.relevance);
  double top = 0;
  for (double& v : r) top = std::max(top, v = std::max(0.0, v));
  for (double& v : r) v = top > 0 ? v / top : 0.0;
  const auto ranges = element_ranges(in.model.card(), x);
  const int64_t hw = static_cast<int64_t>(r.size());
  Tensor out(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const auto [lo, hi] = ranges[i];
    const double raw = hi > lo ? (x.f32()[i] - lo) / (hi - lo) : 0.0;
    const double kept = raw * (keep ? r[i % hw] : 1.0 - r[i % hw]);
    out.f32()[i] = static_cast<float>(lo + (hi - lo) * kept);
  }
  return out;
}

MetricResult fidelity_to_input(EvalInput& in, const ParamValues&) {
  const Tensor both = stack_batch({in.x, interpretation(in, true)});
  const Tensor l = in.model.logits(both);
  MetricResult r;
  // The decision on each: the arg-max class.
  const int64_t on_input = ExplainModel::resolve_target(batch_item(l, 0), {}).class_index;
  r.value = on_input == ExplainModel::resolve_target(batch_item(l, 1), {}).class_index ? 1.0 : 0.0;
  return r;
}

MetricResult faithfulness_l2i(EvalInput& in, const ParamValues& p) {
  const Tensor both = stack_batch({in.x, interpretation(in, false)});
  const Tensor l = in.model.logits(both);
  Target t = in.attribution.target;
  t.space = parse_output_space(p.text("score"));
  MetricResult r;
  const double f_x = ExplainModel::score(l.f32(), l.dim(1), t);
  const double f_rest = ExplainModel::score(l.f32() + l.dim(1), l.dim(1), t);
  r.value = f_x - f_rest;
  r.extras["score_input"] = f_x;
  r.extras["score_without_interpretation"] = f_rest;
  return r;
}

}  // namespace

void register_interpretation_metrics(std::vector<MetricInfo>& r) {
  r.push_back({"fidelity-to-input",
               "faithfulness",
               "map",
               true,
               "\"Posthoc Interpretation via Quantization\", eq. 3",
               "1 when the classifier decides the same on the interpretation x ⊙ r as on x "
               "(the mean over inputs is the paper's percentage)",
               {},
               fidelity_to_input});
  r.push_back({"faithfulness-l2i",
               "faithfulness",
               "map",
               true,
               "\"Posthoc Interpretation via Quantization\", eq. 4",
               "f_c(x) − f_c(x − x_int): how much the score drops without the interpretation",
               {{"score",
                 ParamType::choice,
                 "prob",
                 0,
                 0,
                 {"prob", "logit", "logprob"},
                 "the target score"}},
               faithfulness_l2i});
}

}  // namespace heatlens
