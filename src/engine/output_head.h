// OutputHead: recognises a final Softmax or LogSoftmax so that the CLI and the explainers
// can report probabilities and start from the pre-softmax logits.
//
//   OutputHead h = find_output_head(graph);    // h.logits = "fc_out" when the model ends in
//   Softmax
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace heatlens {

struct OutputHead {
  std::string logits;            // name of the value holding the logits
  std::string final_activation;  // "", "Softmax" or "LogSoftmax"
};

// For the model's first output.
OutputHead find_output_head(const Graph& graph);

// Numerically stable softmax of each row of a [N, C] tensor (or of a [C] vector).
Tensor softmax_rows(const Tensor& logits);
// The class probabilities averaged over the rows of logits [N, classes] (the windows of a
// recording), and the class with the highest mean.
std::vector<float> mean_probabilities(const Tensor& logits);
int64_t mean_probability_class(const Tensor& logits);

}  // namespace heatlens
