#include "engine/plan.h"

#include "core/error.h"
#include "engine/concat_slots.h"
#include "engine/fusion.h"
#include "ops/op_desc.h"

namespace heatlens {

void check_input_shape(const Value& input, const Shape& shape) {
  if (!input.has_declared_shape) return;
  auto expected = [&] {
    std::string s = "[";
    for (size_t i = 0; i < input.declared_shape.size(); ++i) {
      if (i) s += ", ";
      s += input.declared_shape[i] >= 0  ? std::to_string(input.declared_shape[i])
           : input.dim_params[i].empty() ? "?"
                                         : input.dim_params[i];
    }
    return s + "]";
  };
  HEATLENS_CHECK(
      shape.size() == input.declared_shape.size(),
      "input '" << input.name << "' expects shape " << expected() << ", got " << shape_str(shape));
  for (size_t i = 0; i < shape.size(); ++i) {
    HEATLENS_CHECK(input.declared_shape[i] < 0 || input.declared_shape[i] == shape[i],
                   "input '" << input.name << "' expects shape " << expected() << ", got "
                             << shape_str(shape));
  }
}

std::vector<ValueType> node_input_types(const Node& node, const Plan& plan) {
  std::vector<ValueType> types;
  for (int id : node.inputs) {
    ValueType v = id >= 0 ? plan.types[id] : ValueType{};
    v.omitted = id < 0;
    types.push_back(v);
  }
  return types;
}

namespace {

// Values that only depthwise convolutions read, as their data: each of those takes a channel's
// plane from one place, with channels split over the threads. A convolution making such a
// value by GEMM (MobileNetV2's and EfficientNet's expansions) then splits its rows, the output
// channels, over the threads too (ExecContext::output_by_channels): split by columns, each
// thread had written half of every channel and read half of its channels back from the other
// core (MobileNetV2's 2-thread forward 0.956× in 15 interleaved pairs). Plain depthwise
// convolutions only: one with a channel multiplier runs as a grouped GEMM, split by columns.
std::vector<bool> read_by_channel(const Graph& graph, const Plan& plan, const ValueUses& uses) {
  std::vector<bool> by_channel(graph.values.size(), false);
  for (size_t id = 0; id < graph.values.size(); ++id) {
    if (uses.readers[id].empty() || uses.is_output[id]) continue;
    bool all = true;
    for (int step : uses.readers[id]) {
      const Node& node = graph.nodes[plan.steps[step]];
      all = node.inputs[0] == static_cast<int>(id);  // read as data, before any type is made
      if (!all) break;
      OpDesc desc;
      const std::vector<ValueType> in = node_input_types(node, plan);
      all = node.op->describe(in, desc) && desc.kind == OpKind::conv && desc.group > 1 &&
            desc.group == in[0].shape[1] && in[1].shape[0] == desc.group;
      if (!all) break;
    }
    by_channel[id] = all;
  }
  return by_channel;
}

}  // namespace

Plan make_plan(const Graph& graph, const std::vector<Shape>& input_shapes,
               const std::vector<DType>& input_dtypes) {
  HEATLENS_CHECK(
      input_shapes.size() == graph.inputs.size(),
      "the model takes " << graph.inputs.size() << " input(s), got " << input_shapes.size());
  Plan plan;
  plan.input_shapes = input_shapes;
  plan.types.resize(graph.values.size());
  plan.last_use.assign(graph.values.size(), -1);
  std::vector<bool> known(graph.values.size(), false);
  for (size_t i = 0; i < graph.values.size(); ++i) {
    const Value& v = graph.values[i];
    if (v.initializer.defined()) {
      plan.types[i] = {v.initializer.dtype(), v.initializer.shape(), v.initializer};
      known[i] = true;
    }
  }
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const Value& v = graph.values[graph.inputs[i]];
    check_input_shape(v, input_shapes[i]);
    HEATLENS_CHECK(input_dtypes[i] == v.declared_dtype,
                   "input '" << v.name << "' expects " << dtype_name(v.declared_dtype) << ", got "
                             << dtype_name(input_dtypes[i]));
    plan.types[graph.inputs[i]] = {input_dtypes[i], input_shapes[i], Tensor()};
    known[graph.inputs[i]] = true;
  }

  ExecContext serial;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    HEATLENS_CHECK(node.op != nullptr, node.label << ": operator is not supported");
    std::vector<ValueType> in_types;
    bool all_constant = true;
    for (int id : node.inputs) {
      if (id < 0) {
        ValueType omitted;
        omitted.omitted = true;
        in_types.push_back(omitted);
        continue;
      }
      HEATLENS_CHECK(known[id],
                     node.label << ": input '" << graph.values[id].name << "' has no value yet");
      in_types.push_back(plan.types[id]);
      if (!plan.types[id].constant.defined()) all_constant = false;
    }
    std::vector<ValueType> out_types;
    if (all_constant) {
      Tensors in;
      for (const ValueType& t : in_types) in.push_back(t.constant);  // omitted: undefined
      Tensors out = node.op->forward(in, serial);
      for (const Tensor& t : out) out_types.push_back({t.dtype(), t.shape(), t});
    } else {
      out_types = node.op->infer(in_types);
    }
    HEATLENS_CHECK(
        out_types.size() >= node.outputs.size() || node.outputs.size() == out_types.size(),
        node.label << ": produced " << out_types.size() << " outputs, the model expects "
                   << node.outputs.size());
    bool runs = false;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      int id = node.outputs[k];
      if (id < 0) continue;
      HEATLENS_CHECK(k < out_types.size(), node.label << ": has no output " << k);
      plan.types[id] = out_types[k];
      known[id] = true;
      if (!out_types[k].constant.defined()) runs = true;
    }
    if (runs) {
      int step = static_cast<int>(plan.steps.size());
      plan.steps.push_back(static_cast<int>(n));
      for (int id : node.inputs) {
        if (id >= 0) plan.last_use[id] = step;
      }
    }
  }
  for (int id : graph.outputs) {
    HEATLENS_CHECK(known[id], "output '" << graph.values[id].name << "' is never computed");
  }
  for (const ValueType& t : plan.types) {
    if (!t.constant.defined() && t.dtype == DType::f32)
      plan.activation_bytes += shape_numel(t.shape) * 4;
  }
  const ValueUses uses = value_uses(graph, plan);
  plan.fusions = find_fusions(graph, plan, uses);
  plan.residual_fusions = find_residual_fusions(graph, plan, uses);
  find_concat_slots(graph, plan, uses);
  plan.read_by_channel = read_by_channel(graph, plan, uses);
  return plan;
}

ValueUses value_uses(const Graph& graph, const Plan& plan) {
  ValueUses u;
  u.readers.resize(graph.values.size());
  u.made_at.assign(graph.values.size(), -1);
  u.is_output.assign(graph.values.size(), false);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& node = graph.nodes[plan.steps[s]];
    for (int id : node.inputs) {
      if (id >= 0) u.readers[id].push_back(static_cast<int>(s));
    }
    for (int id : node.outputs) {
      if (id >= 0) u.made_at[id] = static_cast<int>(s);
    }
  }
  for (int id : graph.outputs) u.is_output[id] = true;
  return u;
}

}  // namespace heatlens
