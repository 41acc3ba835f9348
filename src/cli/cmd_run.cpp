// heatlens run MODEL.onnx --input FILE [--top K] [--json] [--threads N] [--out Y.npy]: the top-K
// classes with logits and probabilities (labels from the model card); --out saves the raw output.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/input_loader.h"
#include "engine/engine.h"
#include "engine/output_head.h"
#include "media/npy.h"

namespace heatlens::cli {

int cmd_run(int argc, char** argv) {
  std::vector<FlagSpec> flags = input_flags();
  flags.push_back({"--top", true});
  flags.push_back({"--json", false});
  flags.push_back({"--threads", true});
  flags.push_back({"--out", true});
  Args args(argc, argv, 2, flags);
  if (args.positional().size() != 1)
    throw UsageError{"usage: heatlens run MODEL.onnx --input FILE [--top K] [--json]"};
  const std::string model_path = args.positional()[0];
  const int64_t top = args.get_int("--top", 5);
  if (top < 1) throw UsageError{"--top must be at least 1"};
  Engine engine = Engine::load_file(model_path, static_cast<int>(args.get_int("--threads", 0)));
  ModelCard card = load_model_card_beside(model_path);
  Tensor x = load_input(args, engine.graph(), card);

  OutputHead head = find_output_head(engine.graph());
  ForwardOptions opts;
  if (!head.final_activation.empty()) opts.capture.push_back(head.logits);
  ForwardResult r = engine.forward({x}, opts);
  if (args.has("--out")) write_npy(args.get("--out"), r.outputs[0]);
  Tensor logits = head.final_activation.empty() ? r.outputs[0] : r.captured.at(head.logits);
  if (logits.rank() != 2)
    throw UsageError{"the model's output has shape " + shape_str(logits.shape()) +
                     "; a classifier's is [batch, classes]"};
  Tensor probs = softmax_rows(logits);
  const int64_t batch = logits.dim(0), classes = logits.dim(1);
  if (!card.labels.empty() && static_cast<int64_t>(card.labels.size()) != classes) {
    throw UsageError{"the model card has " + std::to_string(card.labels.size()) + " labels for " +
                     std::to_string(classes) + " classes"};
  }
  nlohmann::json j = nlohmann::json::array();
  for (int64_t b = 0; b < batch; ++b) {
    const float* l = logits.f32() + b * classes;
    const float* p = probs.f32() + b * classes;
    std::vector<int64_t> order(classes);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t k) { return l[i] > l[k]; });
    order.resize(std::min<int64_t>(top, classes));
    nlohmann::json item = nlohmann::json::array();
    if (!args.has("--json") && batch > 1) std::printf("example %lld\n", static_cast<long long>(b));
    for (int64_t c : order) {
      std::string label = card.labels.empty() ? std::to_string(c) : card.labels[c];
      item.push_back({{"class", c}, {"label", label}, {"logit", l[c]}, {"probability", p[c]}});
      if (!args.has("--json")) {
        std::printf("%4lld  %-20s logit %9.4f  p %.4f\n", static_cast<long long>(c), label.c_str(),
                    l[c], p[c]);
      }
    }
    j.push_back(item);
  }
  if (args.has("--json")) std::printf("%s\n", (batch == 1 ? j[0] : j).dump(2).c_str());
  return 0;
}

}  // namespace heatlens::cli
