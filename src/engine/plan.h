// Plan: the graph specialised to concrete input shapes.
//
// Planning runs shape inference node by node and folds everything that is constant for those
// shapes (initializer arithmetic, and the Shape → Gather → Concat → Reshape chains that
// PyTorch exports for a free batch dimension). What remains are the steps to run.
//
//   Plan p = make_plan(graph, {{4, 3, 32, 32}});   // batch of four
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "graph/graph.h"
#include "kernels/activation.h"

namespace heatlens {

// Activation fusion at one step of a forward-only run (engine/fusion.h).
struct Fusion {
  Activation activation;           // none: no fusion at this step
  int result = -1;                 // value the fused step produces (the activation's output)
  std::vector<int> intermediates;  // values that are never computed (pre-activation, sigmoid)
  std::vector<int> absorbed;       // steps that the fused step replaces
  int addend = -1;                 // residual fusions: the value the Add adds to this output
};

// Where a value is written in place in a Concat's output (engine/concat_slots.h).
struct ConcatSlot {
  int concat = -1;     // the Concat's output value; -1: the value has its own storage
  int64_t offset = 0;  // first element of this value there
};

struct Plan {
  std::vector<Shape> input_shapes;
  std::vector<ValueType> types;          // by value id; `constant` set for folded values
  std::vector<int> steps;                // node indices to run, in order
  std::vector<int> last_use;             // by value id: last step that reads it (-1: none)
  std::vector<Fusion> fusions;           // by step: activations to fuse (engine/fusion.h)
  std::vector<Fusion> residual_fusions;  // by step: an Add into the Conv before it (the same)
  std::vector<ConcatSlot> concat_slots;  // by value id (engine/concat_slots.h)
  std::vector<bool> concat_in_place;     // by step: a Concat whose inputs are all slots
  std::vector<bool> read_by_channel;     // by value id: read only by depthwise convolutions
  int64_t activation_bytes = 0;          // every computed float value of one run, together
  // Op::prepare runs for every step once, on the plan's first CPU run, and once more with
  // ExecContext::keep_transposed_weights on its first recorded run where gradients keep them.
  std::shared_ptr<std::once_flag> prepared = std::make_shared<std::once_flag>();
  std::shared_ptr<std::once_flag> prepared_backward = std::make_shared<std::once_flag>();
};

Plan make_plan(const Graph& graph, const std::vector<Shape>& input_shapes,
               const std::vector<DType>& input_dtypes);

// Who reads and who makes each value among a plan's steps: what the fusion and Concat passes
// (engine/fusion.h, engine/concat_slots.h) decide by.
struct ValueUses {
  std::vector<std::vector<int>> readers;  // by value id: the steps reading it, once per input
  std::vector<int> made_at;               // by value id: the step making it (-1: input, constant)
  std::vector<bool> is_output;            // by value id: a model output
  // Node inputs and model outputs reading the value.
  size_t reads(int id) const { return readers[id].size() + (is_output[id] ? 1 : 0); }
};
ValueUses value_uses(const Graph& graph, const Plan& plan);

// The planned types of a node's inputs (omitted optional inputs marked `omitted`), as VjpArgs
// and other callers that run an operator themselves need them.
std::vector<ValueType> node_input_types(const Node& node, const Plan& plan);

// Checks a concrete input against what the model declares; throws naming the input.
void check_input_shape(const Value& input, const Shape& shape);

}  // namespace heatlens
