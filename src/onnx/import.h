// ONNX → Graph import: names kept, nodes sorted topologically, dead nodes removed, every
// operator built from the registry with its attributes validated.
//
// In strict mode any unsupported operator, attribute, dtype or opset is an Error listing all
// offending nodes (name, op type, opset). In lenient mode (for `heatlens info` and the page's
// "which nodes are unsupported" list) they are collected in `issues` instead and those nodes
// have no op.
//
//   std::vector<ImportIssue> issues;
//   Graph g = import_model(parse_model(bytes, n), /*strict=*/false, &issues);
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "onnx/onnx_model.h"

namespace heatlens::onnx {

struct ImportIssue {
  std::string node;  // node name ("" for model-level problems)
  std::string op_type;
  std::string message;
};

constexpr int64_t kMinOpset = 1;  // old opsets load where an operator's semantics did not change
constexpr int64_t kMaxOpset = 18;

Graph import_model(const ModelProto& model, bool strict = true,
                   std::vector<ImportIssue>* issues = nullptr);
// The same, freeing each initializer's bytes in `model` as soon as its tensor is made (peak
// memory: the protobuf's copy of the weights is gone by the time the tensors are complete).
Graph import_model(ModelProto&& model, bool strict = true,
                   std::vector<ImportIssue>* issues = nullptr);

}  // namespace heatlens::onnx
