// Graph: heatlens' intermediate representation of an ONNX model.
//
// Values and nodes keep the names from the file (error messages and the inspector show them).
// Nodes are stored in topological order; every value knows its producer. Initializers are
// constants. Each node carries its built operator (attributes parsed and validated).
//
//   const Graph& g = engine.graph();
//   for (const Node& n : g.nodes) std::printf("%s %s\n", n.op_type.c_str(), n.name.c_str());
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ops/op.h"

namespace heatlens {

struct Value {
  std::string name;
  int producer = -1;  // node index; -1 for graph inputs and initializers
  bool is_graph_input = false;
  Tensor initializer;  // defined for constants from the file
  // Type declared in the file, when it declares one. Unknown dimensions are -1 and keep
  // their symbolic name (e.g. "batch") in dim_params.
  DType declared_dtype = DType::f32;
  bool has_declared_shape = false;
  Shape declared_shape;
  std::vector<std::string> dim_params;
};

struct Node {
  std::string name;  // may be empty in the file; label() then uses the first output
  std::string op_type;
  std::vector<int> inputs;   // value ids; -1 for an omitted optional input
  std::vector<int> outputs;  // value ids; -1 for an omitted optional output
  std::shared_ptr<const Op> op;
  const OpInfo* info = nullptr;
  std::string label;  // "node 'conv1' (Conv)"
};

class Graph {
 public:
  std::string name;
  int64_t opset = 0;
  int64_t ir_version = 0;
  std::string producer;
  std::map<std::string, std::string> metadata;
  std::vector<Value> values;
  std::vector<Node> nodes;   // topological order
  std::vector<int> inputs;   // value ids of the real (non-initializer) inputs
  std::vector<int> outputs;  // value ids

  int find_value(const std::string& name) const;  // -1 when absent
  int require_value(const std::string& name) const;
  int add_value(const std::string& name);
  int64_t parameter_count() const;
  // Turns a graph input into a constant with this value (e.g. a shape or axes input that a
  // test or a user fixes), so planning can fold what depends on it.
  void freeze_input(const std::string& name, const Tensor& value);

 private:
  std::map<std::string, int> index_;
};

}  // namespace heatlens
