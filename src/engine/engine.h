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
#include "engine/plan.h"
#include "graph/graph.h"
#include "onnx/import.h"

namespace heatlens {

struct ForwardOptions {
  bool record = false;               // keep the activations a vjp needs
  std::vector<std::string> capture;  // also return these values by name
  bool keep_all = false;             // with record: keep every activation (LRP, inspectors)
  // When set, milliseconds spent per operator type are added here (heatlens bench --profile).
  std::map<std::string, double>* op_times = nullptr;
};

struct Tape {
  std::shared_ptr<const Plan> plan;
  Tensors values;  // by value id; only those the backward needs (and captured ones)
};

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
  // Gradient of Σ_k <seed_k, output_k> with respect to the graph's inputs and `wrt` values.
  VjpResult vjp(const ForwardResult& forward, const Tensors& output_seeds,
                const std::vector<std::string>& wrt = {});
  // The same, seeded at any named values (e.g. the logits before a final Softmax). A hook,
  // when given, may replace a node's VJP (guided backprop, DeepLIFT): it returns true after
  // filling the input gradients itself.
  VjpResult vjp_from(const ForwardResult& forward, const std::map<std::string, Tensor>& seeds,
                     const std::vector<std::string>& wrt = {}, const VjpHook& hook = {});

 private:
  std::shared_ptr<Graph> graph_;
  std::unique_ptr<ThreadPool> pool_;
  std::mutex plans_mutex_;
  std::map<std::vector<Shape>, std::shared_ptr<const Plan>> plans_;
};

// Reads a whole file; throws naming the path when it is missing or unreadable.
std::vector<uint8_t> read_file(const std::string& path, size_t max_bytes);

}  // namespace heatlens
