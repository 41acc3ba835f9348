// ExplainModel: what every explanation method sees of a classifier — the engine, its model
// card, where the logits are (before a final Softmax), and the target score's gradient.
//
//   ExplainModel m(engine, card);
//   Target t = m.resolve_target(x, {});                 // arg-max class, logit space
//   Tensor g = m.gradient(x, t).grad;                   // ∂ logit_c / ∂x
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/output_head.h"
#include "media/model_card.h"

namespace heatlens {

enum class OutputSpace { logit, prob, logprob };
OutputSpace parse_output_space(const std::string& s);
const char* output_space_name(OutputSpace s);

struct TargetSpec {
  int64_t class_index = -1;  // -1: the predicted class
  OutputSpace space = OutputSpace::logit;
};

struct Target {
  int64_t class_index = 0;
  OutputSpace space = OutputSpace::logit;
};

class ExplainModel {
 public:
  ExplainModel(Engine& engine, ModelCard card);
  // A model heatlens cannot run itself (unsupported operators): its scores [N, classes] come
  // from `forward` (the page's onnxruntime-web). Only forward-only methods work on it; the
  // others stop with an error that says why.
  using ExternalForward = std::function<Tensor(const Tensor& x)>;
  ExplainModel(ExternalForward forward, ModelCard card);

  Engine& engine();
  // Whether heatlens' engine runs the model (not an external runner).
  bool has_engine() const { return engine_ != nullptr; }
  // The engine over the canonized graph (BatchNorm folded) that LRP propagates through.
  Engine& canonized_engine();
  const Graph& graph() const;
  const ModelCard& card() const { return card_; }
  const OutputHead& head() const { return head_; }
  // Engine passes so far, counted per example (a batch of 16 forwards is 16 passes).
  int64_t passes() const { return passes_; }
  void count_passes(int64_t n) { passes_ += n; }

  // False when the model declares a fixed batch of 1: batches then run example by example.
  bool batchable() const;
  // Logits [N, classes] for a batch.
  Tensor logits(const Tensor& x);
  // The class and output space to explain, from the logits [1, classes] of the input.
  static Target resolve_target(const Tensor& logits, const TargetSpec& spec);
  // The explained score for each example of a batch, from its logits row.
  static double score(const float* logits_row, int64_t classes, const Target& t);

  struct Gradient {
    Tensor grad;    // ∂ score / ∂ x, same shape as x
    Tensor logits;  // [N, classes]
    std::map<std::string, Tensor> captured;
    std::map<std::string, Tensor> value_grads;
  };
  // Gradients of the target score of every example of the batch x (one pass each way).
  // Gradients of Σ_b <seed_b, logits_b>, the seed rows written by seed_fn(logits, seed,
  // index of the batch's first example) (RDE's distortion seeds every class).
  using SeedFn = std::function<void(const Tensor& logits, Tensor& seed, int64_t first)>;
  Gradient gradient_seeded(const Tensor& x, const SeedFn& seed_fn,
                           const std::vector<std::string>& capture = {},
                           const std::vector<std::string>& wrt = {}, const VjpHook& hook = {});
  // d score / d logits of each row of l (written into seed, [N, classes], zero-filled).
  static void score_seed(const Tensor& l, const Target& t, Tensor& seed);
  Gradient gradient(const Tensor& x, const Target& t, const std::vector<std::string>& capture = {},
                    const std::vector<std::string>& wrt = {}, const VjpHook& hook = {});

 private:
  Engine* engine_ = nullptr;
  ExternalForward external_;
  std::unique_ptr<Engine> canonized_;
  ModelCard card_;
  OutputHead head_;
  int64_t passes_ = 0;
};

// Splits a batch [N, ...] into example n as [1, ...] (a copy) and joins examples back.
Tensor batch_item(const Tensor& batch, int64_t n);
// Joins per-example tensors [1, ...] into a batch [N, ...].
Tensor stack_batch(const std::vector<Tensor>& parts);
Tensor repeat_batch(const Tensor& x, int64_t times);

}  // namespace heatlens
