// heatlens info MODEL.onnx [--json]: inputs and outputs with shapes, operator histogram,
// parameter count, and every unsupported operator with its node name.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "onnx/import.h"

namespace heatlens::cli {

namespace {

std::string dims_str(const Value& v) {
  if (!v.has_declared_shape) return "?";
  std::string s = "[";
  for (size_t i = 0; i < v.declared_shape.size(); ++i) {
    if (i) s += ", ";
    s += v.declared_shape[i] >= 0  ? std::to_string(v.declared_shape[i])
         : v.dim_params[i].empty() ? "?"
                                   : v.dim_params[i];
  }
  return s + "]";
}

}  // namespace

int cmd_info(int argc, char** argv) {
  Args args(argc, argv, 2, {{"--json", false}});
  if (args.positional().size() != 1) throw UsageError{"usage: heatlens info MODEL.onnx [--json]"};
  const std::string path = args.positional()[0];
  std::vector<uint8_t> bytes = read_file(path, onnx::kMaxModelBytes);
  onnx::ModelProto model = onnx::parse_model(bytes.data(), bytes.size());
  std::vector<onnx::ImportIssue> issues;
  Graph g = onnx::import_model(model, false, &issues);

  std::map<std::string, int> histogram;
  for (const Node& n : g.nodes) histogram[n.op_type]++;
  // Output shapes for a batch of one, when the model is fully supported.
  std::vector<std::string> out_shapes(g.outputs.size(), "?");
  std::string plan_error;
  if (issues.empty()) {
    try {
      std::vector<Shape> shapes;
      std::vector<DType> dtypes;
      for (int id : g.inputs) {
        Shape s = g.values[id].declared_shape;
        for (auto& d : s) d = d < 0 ? 1 : d;
        shapes.push_back(s);
        dtypes.push_back(g.values[id].declared_dtype);
      }
      Plan p = make_plan(g, shapes, dtypes);
      for (size_t i = 0; i < g.outputs.size(); ++i)
        out_shapes[i] = shape_str(p.types[g.outputs[i]].shape);
    } catch (const Error& e) {
      plan_error = e.what();
    }
  }

  if (args.has("--json")) {
    nlohmann::json j;
    j["model"] = path;
    j["producer"] =
        model.producer_name + (model.producer_version.empty() ? "" : " " + model.producer_version);
    j["ir_version"] = model.ir_version;
    j["opset"] = g.opset;
    for (int id : g.inputs) {
      const Value& v = g.values[id];
      j["inputs"].push_back(
          {{"name", v.name}, {"dtype", dtype_name(v.declared_dtype)}, {"shape", dims_str(v)}});
    }
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const Value& v = g.values[g.outputs[i]];
      j["outputs"].push_back(
          {{"name", v.name}, {"shape", dims_str(v)}, {"shape_batch1", out_shapes[i]}});
    }
    j["nodes"] = g.nodes.size();
    j["parameters"] = g.parameter_count();
    j["operators"] = histogram;
    j["unsupported"] = nlohmann::json::array();
    for (const auto& issue : issues) {
      j["unsupported"].push_back(
          {{"node", issue.node}, {"op_type", issue.op_type}, {"message", issue.message}});
    }
    j["supported"] = issues.empty() && plan_error.empty();
    if (!plan_error.empty()) j["error"] = plan_error;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  std::printf("model       %s\n", path.c_str());
  std::printf("producer    %s %s (IR %lld, opset %lld)\n", model.producer_name.c_str(),
              model.producer_version.c_str(), static_cast<long long>(model.ir_version),
              static_cast<long long>(g.opset));
  std::printf("inputs\n");
  for (int id : g.inputs) {
    const Value& v = g.values[id];
    std::printf("  %-24s %-8s %s\n", v.name.c_str(), dtype_name(v.declared_dtype),
                dims_str(v).c_str());
  }
  std::printf("outputs\n");
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value& v = g.values[g.outputs[i]];
    std::printf("  %-24s %s (batch 1: %s)\n", v.name.c_str(), dims_str(v).c_str(),
                out_shapes[i].c_str());
  }
  std::printf("parameters  %lld\n", static_cast<long long>(g.parameter_count()));
  std::printf("nodes       %zu\n", g.nodes.size());
  std::printf("operators  ");
  for (const auto& [op, count] : histogram) std::printf(" %s×%d", op.c_str(), count);
  std::printf("\n");
  if (issues.empty() && plan_error.empty()) {
    std::printf("unsupported none\n");
  } else {
    std::printf("unsupported %zu\n", issues.size() + (plan_error.empty() ? 0 : 1));
    for (const auto& issue : issues) std::printf("  %s\n", issue.message.c_str());
    if (!plan_error.empty()) std::printf("  %s\n", plan_error.c_str());
  }
  return 0;
}

}  // namespace heatlens::cli
