// heatlens run MODEL.onnx --input FILE [--top K] [--json] [--threads N] [--out Y.npy]: the top-K
// classes with logits and probabilities (labels from the model card); --out saves the raw output.
// A recording longer than an audio model's window is classified window by window
// (--window-hop S apart): each window's top class with its time, then the top-K of the mean
// probabilities over the windows.
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
  const std::optional<AudioWindows> windows = load_audio_windows(args, card);
  const Tensor x = windows ? windows->inputs : load_input(args, engine.graph(), card);

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
  const bool json = args.has("--json");
  auto label_of = [&](int64_t c) {
    return card.labels.empty() ? std::to_string(c) : card.labels[c];
  };
  // The top-k classes by score (logits, or mean probabilities when l is null).
  auto ranked = [&](const float* l, const float* p, int64_t k, bool print) {
    const float* key = l ? l : p;
    std::vector<int64_t> order(classes);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t i, int64_t m) { return key[i] > key[m]; });
    order.resize(std::min<int64_t>(k, classes));
    nlohmann::json item = nlohmann::json::array();
    for (int64_t c : order) {
      item.push_back({{"class", c}, {"label", label_of(c)}, {"probability", p[c]}});
      if (l) item.back()["logit"] = l[c];
      if (print && l)
        std::printf("%4lld  %-20s logit %9.4f  p %.4f\n", static_cast<long long>(c),
                    label_of(c).c_str(), l[c], p[c]);
      if (print && !l)
        std::printf("%4lld  %-20s p %.4f\n", static_cast<long long>(c), label_of(c).c_str(), p[c]);
    }
    return item;
  };
  if (windows && batch > 1) {
    nlohmann::json per_window = nlohmann::json::array();
    for (int64_t b = 0; b < batch; ++b) {
      const float* p = probs.f32() + b * classes;
      const double t0 = windows->seconds(b), t1 = t0 + card.audio.duration;
      nlohmann::json best = ranked(logits.f32() + b * classes, p, 1, false)[0];
      if (!json)
        std::printf("%7.2f–%.2f s  %-20s p %.4f\n", t0, t1,
                    best["label"].get<std::string>().c_str(), best["probability"].get<float>());
      per_window.push_back({{"start", t0}, {"end", t1}, {"top", best}});
    }
    if (!json)
      std::printf("over %lld windows (mean probability):\n", static_cast<long long>(batch));
    const std::vector<float> mean = mean_probabilities(logits);
    nlohmann::json overall = ranked(nullptr, mean.data(), top, !json);
    if (json)
      std::printf("%s\n",
                  nlohmann::json{{"windows", per_window}, {"top", overall}}.dump(2).c_str());
    return 0;
  }
  nlohmann::json j = nlohmann::json::array();
  for (int64_t b = 0; b < batch; ++b) {
    if (!json && batch > 1) std::printf("example %lld\n", static_cast<long long>(b));
    j.push_back(ranked(logits.f32() + b * classes, probs.f32() + b * classes, top, !json));
  }
  if (json) std::printf("%s\n", (batch == 1 ? j[0] : j).dump(2).c_str());
  return 0;
}

}  // namespace heatlens::cli
