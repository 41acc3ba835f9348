#include "engine/output_head.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace heatlens {

OutputHead find_output_head(const Graph& graph) {
  HEATLENS_CHECK(!graph.outputs.empty(), "the model has no outputs");
  const Value& out = graph.values[graph.outputs[0]];
  OutputHead head{out.name, ""};
  if (out.producer >= 0) {
    const Node& n = graph.nodes[out.producer];
    if ((n.op_type == "Softmax" || n.op_type == "LogSoftmax") && !n.inputs.empty() &&
        n.inputs[0] >= 0) {
      head.logits = graph.values[n.inputs[0]].name;
      head.final_activation = n.op_type;
    }
  }
  return head;
}

Tensor softmax_rows(const Tensor& logits) {
  const int64_t cols = logits.rank() ? logits.dim(-1) : 1;
  const int64_t rows = cols ? logits.numel() / cols : 0;
  Tensor out(logits.shape());
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits.f32() + r * cols;
    float* y = out.f32() + r * cols;
    const float mx = *std::max_element(x, x + cols);
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(x[c] - mx));
    for (int64_t c = 0; c < cols; ++c)
      y[c] = static_cast<float>(std::exp(static_cast<double>(x[c] - mx)) / sum);
  }
  return out;
}

std::vector<float> mean_probabilities(const Tensor& logits) {
  const Tensor probs = softmax_rows(logits);
  const int64_t cols = probs.dim(-1), rows = probs.numel() / cols;
  std::vector<double> sum(cols, 0.0);
  for (int64_t i = 0; i < probs.numel(); ++i) sum[i % cols] += probs.f32()[i];
  std::vector<float> mean(cols);
  for (int64_t c = 0; c < cols; ++c) mean[c] = static_cast<float>(sum[c] / rows);
  return mean;
}

int64_t mean_probability_class(const Tensor& logits) {
  const std::vector<float> mean = mean_probabilities(logits);
  return std::max_element(mean.begin(), mean.end()) - mean.begin();
}

}  // namespace heatlens
