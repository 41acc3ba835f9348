// Op: one ONNX operator as heatlens runs it. Each operator lives in its own file in src/ops/
// and holds, side by side: attribute parsing (in its factory), type/shape inference, a plain
// reference forward, the vector-Jacobian product, and its role in LRP.
//
//   class Relu : public Op { ... };                  // src/ops/relu.cpp
//   void register_relu(OpRegistry& r) { r.add({"Relu", 6, ..., factory, LrpRole::pass_through}); }
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "graph/attributes.h"
#include "kernels/activation.h"

namespace heatlens {

using Tensors = std::vector<Tensor>;
struct OpDesc;  // ops/op_desc.h

// What LRP does at a node (ARCHITECTURE.md, "LRP conventions").
enum class LrpRole {
  linear,            // Conv, ConvTranspose, Gemm, MatMul with a constant operand: takes a rule
  pass_through,      // element-wise activations: relevance passes unchanged
  winner_takes_all,  // MaxPool, GlobalMaxPool: routed like the gradient
  proportional,      // average pooling, ReduceMean, residual Add: ε-stabilised redistribution
  data_movement,     // Reshape, Flatten, Transpose, Concat, Slice, Pad, ...: moves relevance
  normalization,     // BatchNormalization: folded into the adjacent linear layer first
  constant,          // Shape, Constant, Cast of shapes: no relevance flows
  unsupported,       // no LRP rule (e.g. Softmax inside the network)
};
const char* lrp_role_name(LrpRole role);

// Type of a value at plan time; `constant` is defined when the value is known before running.
struct ValueType {
  DType dtype = DType::f32;
  Shape shape;
  Tensor constant;
  bool omitted = false;  // an optional input left empty in the file
};

struct ExecContext {
  ThreadPool* pool = nullptr;  // may be null: run on the caller
  // Set by LRP, which multiplies by the transposes of the same few weight tensors (w⁺, w⁻, …)
  // on every run: ops may keep those packed as they keep their forward packings. Gradient
  // runs set it only where the copy is small beside the activations
  // (Engine::set_transposed_weights).
  bool keep_transposed_weights = false;
  // Whether ops may run on transformed copies of their weights beside their packings (Conv's
  // Winograd filters, 16/9 of the weights, which round differently from the GEMM). Recorded
  // runs and gradients' passes back through them say no: exact ties must break as the
  // backward expects, and a gradient's memory is budgeted (Engine::forward_on_cpu,
  // Engine::vjp_on_cpu). LRP's pass says yes: its rules' products only divide and scale; so
  // does its forward in layers upstream of no max pooling (Engine::forward_on_cpu).
  bool transformed_weights = true;
  // Where the op may write its one output (its slice of a Concat's output, engine/
  // concat_slots.h); undefined: it allocates. The engine copies the output of an op that does
  // not write there.
  Tensor output{};
  // The output's readers take it channel by channel (Plan::read_by_channel): a GEMM making it
  // splits its work over the threads by output channels, so that each thread writes the
  // channels it will read back (f32_gemm_packed).
  bool output_by_channels = false;
  void parallel_for(int64_t n, const ThreadPool::RangeFn& body, int64_t min_chunk = 1) const {
    if (pool)
      pool->parallel_for(n, body, min_chunk);
    else if (n > 0)
      body(0, n);
  }
};

struct VjpArgs {
  const std::vector<ValueType>& input_types;
  const Tensors& inputs;          // saved inputs: undefined where vjp_uses_input() is false
  const Tensors& outputs;         // saved outputs: undefined where vjp_uses_output() is false
  const Tensors& grad_outputs;    // undefined entries are zero
  const std::vector<bool>& need;  // which input gradients are wanted
  const ExecContext& ctx;
  // What the op's forward_recorded kept for this node (MaxPool: each window's winner), read
  // instead of recomputing it from the inputs; null or undefined when it kept nothing.
  const Tensor* saved = nullptr;
};

class Op {
 public:
  virtual ~Op() = default;

  // Output types from input types. Inputs may carry constants (for shape-like inputs such as
  // Reshape's target shape); an op whose output is known from shapes alone (Shape) sets
  // `constant` on it. Throws with the node label when inputs are invalid.
  virtual std::vector<ValueType> infer(const std::vector<ValueType>& inputs) const = 0;
  // Plain reference forward. Never modifies its inputs.
  virtual Tensors forward(const Tensors& inputs, const ExecContext& ctx) const = 0;
  // A forward that a VJP will follow (Engine::forward with record, but for a plain gradient's,
  // whose memory is budgeted): as forward, and may set `saved` to what its vjp would otherwise
  // recompute from the inputs (VjpArgs::saved).
  virtual Tensors forward_recorded(const Tensors& inputs, const ExecContext& ctx,
                                   Tensor& saved) const {
    return forward(inputs, ctx);
  }
  // Gradients for the inputs marked in `need` (others may stay undefined).
  virtual Tensors vjp(const VjpArgs& args) const;
  // The gradient of input `input` times `factor` (shaped like that input), element by element,
  // multiplied as the kernels write it (LRP's x ⊙ Wᵀs without a pass of its own); undefined
  // where this op cannot, and the caller multiplies. Reads `args` as vjp does.
  virtual Tensor scaled_input_gradient(const VjpArgs& args, int input, const Tensor& factor) const {
    return Tensor();
  }
  // Forward-only runs may fold the activation that follows into this op's kernel (the engine
  // decides where the graph allows it, engine/fusion.h). Ops that can override both.
  virtual bool fuses_activation() const { return false; }
  // The activation this op computes, if it is one a kernel can fuse (Relu, Clip).
  virtual bool as_activation(const std::vector<ValueType>& inputs, Activation& activation) const {
    return false;
  }
  virtual Tensors forward_fused(const Tensors& inputs, const ExecContext& ctx,
                                const Activation& activation) const;
  // Describes the op for an accelerator backend (ops/op_desc.h); false: it has no such
  // description and runs on the CPU there.
  virtual bool describe(const std::vector<ValueType>& inputs, OpDesc& desc) const { return false; }
  // Work that depends only on constant inputs, done once before a plan first runs on the CPU
  // (Conv packs its weights). Buffers kept for the engine's lifetime are then allocated before
  // any activation, not between them, where each pass's freed activations would leave holes
  // around them: ResNet-18's gradient runs held 20 MiB more heap that way.
  virtual void prepare(const std::vector<ValueType>& inputs, const ExecContext& ctx) const {}
  virtual bool has_vjp() const { return true; }
  virtual bool vjp_uses_input(int index) const { return true; }
  // The same, knowing which input gradients a backward will ask for (`need`): an input that
  // only serves another input's gradient (a Conv's data for its weight gradient) is not kept
  // when that gradient is not wanted.
  virtual bool vjp_uses_input(int index, const std::vector<bool>& need) const {
    return vjp_uses_input(index);
  }
  virtual bool vjp_uses_output(int index) const { return false; }

  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }
  [[noreturn]] void error(const std::string& message) const;

 private:
  std::string label_;
};

// What an operator's factory sees of its node.
struct OpBuildContext {
  const NodeAttributes& attrs;
  int64_t opset;
  size_t num_inputs;  // as written in the file, including omitted optional ones
  size_t num_outputs;
  const std::string& label;  // "node 'conv1' (Conv)"
};

using OpFactory = std::unique_ptr<Op> (*)(const OpBuildContext& ctx);

struct OpInfo {
  std::string op_type;
  OpFactory factory;
  LrpRole lrp_role;
  bool vjp;           // has a VJP (false: forward-only methods only)
  int min_opset = 1;  // opsets outside [min_opset, max_opset] are refused
  int max_opset = 18;
  bool webgpu = false;  // has a WebGPU kernel
};

class OpRegistry {
 public:
  void add(OpInfo info) { ops_.push_back(std::move(info)); }
  void mark_webgpu(const std::string& op_type) {
    for (OpInfo& info : ops_) info.webgpu = info.webgpu || info.op_type == op_type;
  }
  const OpInfo* find(const std::string& op_type) const;
  const std::vector<OpInfo>& all() const { return ops_; }

 private:
  std::vector<OpInfo> ops_;
};

// Every operator heatlens supports (built once).
const OpRegistry& op_registry();

}  // namespace heatlens
