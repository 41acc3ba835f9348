// Engine: loads an ONNX model and runs it forward, keeping what a backward pass needs, and
// computes vector-Jacobian products (input gradients, or gradients at any named value).
//
//   Engine e = Engine::load_file("model.onnx");
//   ForwardResult f = e.forward({x}, {.record = true});
//   Tensor seed({1, 10}); seed.f32()[3] = 1;               // d logit[3]
//   VjpResult g = e.vjp(f, {seed});                       // g.input_grads[0] = ∂logit3/∂x
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/backend.h"
#include "engine/plan.h"
#include "graph/graph.h"
#include "onnx/import.h"

namespace heatlens {

struct ForwardOptions {
  bool record = false;               // keep the activations a vjp needs
  std::vector<std::string> capture;  // also return these values by name
  bool keep_all = false;             // with record: keep every activation (inspectors)
  // With record and not keep_all: when not empty, keep exactly these values (by value id, plus
  // outputs and captures) instead of what a gradient's backward reads. Activations then fuse
  // into their convolutions wherever the value before them is not kept (LRP's forward).
  std::vector<bool> keep_values;
  // With record (and neither keep_all nor keep_values): the backward will be Engine::vjp without
  // a hook and without gradients asked at named values (a plain input gradient). Activations
  // then fuse into their convolutions too, keeping what their own gradient reads instead of
  // what the fused kernel never writes: a Relu's output rather than its input; a SiLU's input
  // without its sigmoid, which the backward recomputes. The CPU runs it; accelerator backends
  // record as without it.
  bool plain_gradient = false;
  // With record: nodes whose outputs reach no winner-takes-all node (max pooling) may run on
  // transformed weights (Winograd) as forward-only runs do, since their rounding cannot move
  // a tie the backward routes through (LRP's forward; a gradient's memory is budgeted).
  bool transforms_where_tie_free = false;
  // When set, milliseconds spent per operator type are added here (heatlens bench --profile).
  std::map<std::string, double>* op_times = nullptr;
};

struct Tape {
  std::shared_ptr<const Plan> plan;
  Tensors values;  // by value id; only those the backward needs (and captured ones)
  // By the value id of each node's first output: what its op's forward_recorded kept for its
  // backward (VjpArgs::saved); mostly undefined.
  Tensors saved;
  // Set when an accelerator backend recorded the pass: its values stay on the device.
  Backend* backend = nullptr;
  std::shared_ptr<void> device_values;
  bool plain_gradient = false;  // recorded with ForwardOptions::plain_gradient: no VJP hooks
};

// What `saved` (Tape::saved) holds for `node`, for VjpArgs::saved; null where nothing.
inline const Tensor* saved_for(const Tensors& saved, const Node& node) {
  if (node.outputs.empty() || node.outputs[0] < 0) return nullptr;
  const size_t id = static_cast<size_t>(node.outputs[0]);
  return id < saved.size() ? &saved[id] : nullptr;
}

struct ForwardResult {
  Tensors outputs;
  std::map<std::string, Tensor> captured;
  std::shared_ptr<const Tape> tape;  // set when recorded
};

using VjpHook = std::function<bool(const Node& node, const VjpArgs& args, Tensors& grad_inputs)>;

struct VjpResult {
  Tensors input_grads;  // one per graph input (undefined for integer inputs)
  std::map<std::string, Tensor> value_grads;
};

class Engine {
 public:
  explicit Engine(Graph graph, int threads = 0);
  static Engine load_bytes(const uint8_t* data, size_t size, int threads = 0);
  static Engine load_file(const std::string& path, int threads = 0);

  const Graph& graph() const { return *graph_; }
  int threads() const { return pool_->threads(); }
  // The engine's thread pool, for callers that run operators themselves (LRP rules).
  ExecContext exec_context() const { return ExecContext{pool_.get()}; }

  // The plan for these input shapes (made once per distinct shape set, then cached).
  std::shared_ptr<const Plan> plan(const std::vector<Shape>& shapes,
                                   const std::vector<DType>& dtypes);

  ForwardResult forward(const Tensors& inputs, const ForwardOptions& options = {});
  // The CPU forward, whatever the backend (accelerator backends run fallback nodes here).
  ForwardResult forward_on_cpu(const std::shared_ptr<const Plan>& plan, const Tensors& inputs,
                               const ForwardOptions& options);
  // Gradient of Σ_k <seed_k, output_k> with respect to the graph's inputs and `wrt` values.
  VjpResult vjp(const ForwardResult& forward, const Tensors& output_seeds,
                const std::vector<std::string>& wrt = {});
  // The same, seeded at any named values (e.g. the logits before a final Softmax). A hook,
  // when given, may replace a node's VJP (guided backprop, DeepLIFT): it returns true after
  // filling the input gradients itself.
  VjpResult vjp_from(const ForwardResult& forward, const std::map<std::string, Tensor>& seeds,
                     const std::vector<std::string>& wrt = {}, const VjpHook& hook = {});

  // Whether gradient runs keep each convolution's transposed (or flipped) packed weights
  // between runs rather than packing them again on every backward pass. automatic keeps them
  // when the model's parameters are at most half its activations at the planned shapes: the
  // copy then costs little beside memory the run holds anyway, while for ResNet-18 (45 MiB of
  // weights, 22 MiB of activations) it would break the 2 × (weights + activations) budget.
  // Repacking was 9% of EfficientNet-B0's gradient. LRP always keeps them.
  enum class TransposedWeights { automatic, keep, repack };
  void set_transposed_weights(TransposedWeights policy) { transposed_weights_ = policy; }
  bool keeps_transposed_weights(const Plan& plan) const;

  // Where passes run: null (the default) is the CPU. An accelerator backend falls back to the
  // CPU per node; VJP hooks always run on the CPU.
  void set_backend(std::shared_ptr<Backend> backend) { backend_ = std::move(backend); }
  Backend* backend() const { return backend_.get(); }
  const std::shared_ptr<Backend>& shared_backend() const { return backend_; }

  // A tensor derived from the model's constants (LRP's rule-modified weights), made by `make`
  // the first time `key` is asked for and kept for the engine's lifetime, so that it and the
  // kernels' packings of it are computed once per model, not once per explanation.
  Tensor derived_constant(const std::string& key, const std::function<Tensor()>& make) const;
  size_t derived_constant_count() const;

 private:
  // `saved`: Tape::saved (empty where the forward kept nothing, an accelerator's).
  VjpResult vjp_on_cpu(const Plan& p, const Tensors& values, const Tensors& saved,
                       const std::map<std::string, Tensor>& seeds,
                       const std::vector<std::string>& wrt, const VjpHook& hook);
  std::shared_ptr<Graph> graph_;
  std::unique_ptr<ThreadPool> pool_;
  std::mutex plans_mutex_;
  std::map<std::vector<Shape>, std::shared_ptr<const Plan>> plans_;
  std::shared_ptr<Backend> backend_;
  TransposedWeights transposed_weights_ = TransposedWeights::automatic;
  mutable std::mutex derived_mutex_;
  mutable std::map<std::string, Tensor> derived_;
};

// Which values a forward keeps (outputs, captures, and with `record` what the backward reads).
std::vector<bool> kept_values(const Graph& g, const Plan& p, const ForwardOptions& options);
// Values that depend on a float graph input: only they carry gradients.
std::vector<bool> differentiable_values(const Graph& g, const Plan& p);
// The value a backward pass is seeded at, after checking the seed's shape.
int seeded_value(const Graph& g, const Plan& p, const std::string& name, const Tensor& seed);
// Which inputs of `node` need a gradient (`need`); false when none does. Throws when some do
// and the operator has no VJP.
bool gradient_needs(const Node& node, const std::vector<bool>& differentiable,
                    std::vector<bool>& need);

// Reads a whole file; throws naming the path when it is missing or unreadable.
std::vector<uint8_t> read_file(const std::string& path, size_t max_bytes);

}  // namespace heatlens
