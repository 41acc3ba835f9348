// NodeAttributes: typed access to a node's ONNX attributes that records which ones the
// operator read. After an operator is built, any attribute it did not read is an error naming
// the node: heatlens never ignores an attribute it does not understand.
//
//   NodeAttributes a(node.attributes, "node 'conv1' (Conv)");
//   int64_t group = a.get_int("group", 1);
//   a.check_all_used();  // throws: "node 'conv1' (Conv): attribute 'foo' is not supported"
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "onnx/onnx_model.h"

namespace heatlens {

class NodeAttributes {
 public:
  NodeAttributes(std::vector<onnx::AttributeProto> attributes, std::string node_label);

  bool has(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  int64_t require_int(const std::string& name) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> fallback = {}) const;
  Tensor require_tensor(const std::string& name) const;

  // Throws naming the first attribute nobody read.
  void check_all_used() const;
  const std::string& node_label() const { return label_; }
  [[noreturn]] void error(const std::string& message) const;

 private:
  const onnx::AttributeProto* find(const std::string& name, int32_t type) const;

  std::vector<onnx::AttributeProto> attributes_;
  mutable std::vector<bool> used_;
  std::string label_;
};

}  // namespace heatlens
