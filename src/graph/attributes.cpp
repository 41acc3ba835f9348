#include "graph/attributes.h"

#include "core/error.h"

namespace heatlens {

NodeAttributes::NodeAttributes(std::vector<onnx::AttributeProto> attributes, std::string node_label)
    : attributes_(std::move(attributes)),
      used_(attributes_.size(), false),
      label_(std::move(node_label)) {
  for (const auto& a : attributes_) {
    if (!a.ref_attr_name.empty())
      error("attribute '" + a.name + "' refers to a function attribute");
  }
}

void NodeAttributes::error(const std::string& message) const {
  fail(label_ + ": " + message);
}

const onnx::AttributeProto* NodeAttributes::find(const std::string& name, int32_t type) const {
  for (size_t i = 0; i < attributes_.size(); ++i) {
    if (attributes_[i].name != name) continue;
    used_[i] = true;
    const auto& a = attributes_[i];
    // Old exporters sometimes leave `type` unset; accept the value field that is present.
    if (a.type != onnx::AttributeProto::undefined && a.type != type) {
      error("attribute '" + name + "' should be " + onnx::attribute_type_name(type) + " but is " +
            onnx::attribute_type_name(a.type));
    }
    return &a;
  }
  return nullptr;
}

bool NodeAttributes::has(const std::string& name) const {
  for (const auto& a : attributes_) {
    if (a.name == name) return true;
  }
  return false;
}

int64_t NodeAttributes::get_int(const std::string& name, int64_t fallback) const {
  const auto* a = find(name, onnx::AttributeProto::kInt);
  return a ? a->i : fallback;
}

int64_t NodeAttributes::require_int(const std::string& name) const {
  const auto* a = find(name, onnx::AttributeProto::kInt);
  if (!a) error("required attribute '" + name + "' is missing");
  return a->i;
}

float NodeAttributes::get_float(const std::string& name, float fallback) const {
  const auto* a = find(name, onnx::AttributeProto::kFloat);
  return a ? a->f : fallback;
}

std::string NodeAttributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* a = find(name, onnx::AttributeProto::kString);
  return a ? a->s : fallback;
}

std::vector<int64_t> NodeAttributes::get_ints(const std::string& name,
                                              std::vector<int64_t> fallback) const {
  const auto* a = find(name, onnx::AttributeProto::kInts);
  return a ? a->ints : fallback;
}

std::vector<float> NodeAttributes::get_floats(const std::string& name,
                                              std::vector<float> fallback) const {
  const auto* a = find(name, onnx::AttributeProto::kFloats);
  return a ? a->floats : fallback;
}

Tensor NodeAttributes::require_tensor(const std::string& name) const {
  const auto* a = find(name, onnx::AttributeProto::kTensor);
  if (!a || !a->t) error("required tensor attribute '" + name + "' is missing");
  return onnx::to_tensor(*a->t);
}

void NodeAttributes::check_all_used() const {
  for (size_t i = 0; i < attributes_.size(); ++i) {
    if (!used_[i]) error("attribute '" + attributes_[i].name + "' is not supported");
  }
}

}  // namespace heatlens
