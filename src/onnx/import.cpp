#include "onnx/import.h"

#include <algorithm>
#include <set>

#include "core/error.h"

namespace heatlens::onnx {

namespace {

std::string node_label(const NodeProto& n, int64_t opset) {
  std::string name = n.name.empty() ? (n.outputs.empty() ? "?" : "→" + n.outputs[0]) : n.name;
  return "node '" + name + "' (" + n.op_type + ", opset " + std::to_string(opset) + ")";
}

void declare_type(Value& v, const ValueInfoProto& info) {
  if (!info.is_tensor) return;
  if (info.elem_type == static_cast<int32_t>(DataType::int64) ||
      info.elem_type == static_cast<int32_t>(DataType::int32)) {
    v.declared_dtype = DType::i64;
  }
  if (info.has_shape) {
    v.has_declared_shape = true;
    for (const Dimension& d : info.shape) {
      v.declared_shape.push_back(d.value >= 0 && d.param.empty() ? d.value : -1);
      v.dim_params.push_back(d.param);
    }
  }
}

// Kahn's algorithm over the file's node order; a cycle or a missing input is an Error.
std::vector<size_t> topological_order(const GraphProto& g, const std::set<std::string>& available) {
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& out : g.nodes[i].outputs) {
      if (out.empty()) continue;
      HEATLENS_CHECK(!producer.count(out) && !available.count(out),
                     "value '" << out << "' is produced twice (second time by "
                               << node_label(g.nodes[i], 0) << ")");
      producer[out] = i;
    }
  }
  std::vector<size_t> pending(g.nodes.size(), 0);
  std::vector<std::vector<size_t>> consumers(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& in : g.nodes[i].inputs) {
      if (in.empty() || available.count(in)) continue;
      auto it = producer.find(in);
      HEATLENS_CHECK(it != producer.end(), "input '" << in << "' of node '" << g.nodes[i].name
                                                     << "' (" << g.nodes[i].op_type
                                                     << ") is never produced");
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  std::vector<size_t> order;
  std::vector<size_t> ready;
  for (size_t i = g.nodes.size(); i-- > 0;) {
    if (pending[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    size_t i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push_back(c);
    }
  }
  HEATLENS_CHECK(order.size() == g.nodes.size(), "the graph has a cycle");
  return order;
}

}  // namespace

// `release`, when given, is model.graph itself: each initializer's bytes are freed once its
// tensor is made, so a model is never held three times over (file, protobuf, tensors).
static Graph import_graph(const ModelProto& model, bool strict, std::vector<ImportIssue>* issues,
                          GraphProto* release) {
  std::vector<ImportIssue> found;
  Graph graph;
  graph.name = model.graph.name;
  graph.ir_version = model.ir_version;
  graph.producer = model.producer_name;
  graph.metadata = model.metadata_props;
  graph.opset = model.default_opset();
  const GraphProto& g = model.graph;

  if (graph.opset == 0) {
    found.push_back({"", "", "the model imports no opset of the default ONNX domain"});
  } else if (graph.opset < kMinOpset || graph.opset > kMaxOpset) {
    found.push_back({"", "",
                     "opset " + std::to_string(graph.opset) +
                         " is not supported (heatlens supports " + std::to_string(kMinOpset) +
                         " to " + std::to_string(kMaxOpset) + ")"});
  }
  if (g.sparse_initializer_count) {
    found.push_back({"", "", "sparse initializers are not supported"});
  }

  // Constants first, then the real inputs (old files list initializers among the inputs too).
  std::set<std::string> available;
  for (size_t i = 0; i < g.initializers.size(); ++i) {
    const TensorProto& t = g.initializers[i];
    int id = graph.add_value(t.name);
    try {
      graph.values[id].initializer = to_tensor(t);
      graph.values[id].declared_dtype = graph.values[id].initializer.dtype();
    } catch (const Error& e) {
      found.push_back({"", "", e.what()});
    }
    available.insert(t.name);
    if (release) {
      TensorProto& done = release->initializers[i];
      std::string().swap(done.raw_data);
      std::vector<float>().swap(done.float_data);
      std::vector<int64_t>().swap(done.int64_data);
      std::vector<double>().swap(done.double_data);
    }
  }
  for (const ValueInfoProto& in : g.inputs) {
    if (available.count(in.name)) continue;
    HEATLENS_CHECK(in.is_tensor, "input '" << in.name << "' is not a tensor");
    int id = graph.add_value(in.name);
    graph.values[id].is_graph_input = true;
    declare_type(graph.values[id], in);
    // int32 inputs are held as int64, like int32 initializers.
    if (in.elem_type != static_cast<int32_t>(DataType::float32) &&
        in.elem_type != static_cast<int32_t>(DataType::int64) &&
        in.elem_type != static_cast<int32_t>(DataType::int32)) {
      found.push_back({"", "",
                       "input '" + in.name + "' has dtype " + data_type_name(in.elem_type) +
                           " (heatlens supports float32, int64 and int32 inputs)"});
    }
    graph.inputs.push_back(id);
    available.insert(in.name);
  }
  HEATLENS_CHECK(!g.outputs.empty(), "the model declares no outputs");

  const std::vector<size_t> order = topological_order(g, available);
  const OpRegistry& registry = op_registry();

  // Keep only nodes that an output depends on (dead-node removal).
  std::set<std::string> live(available.begin(), available.end());
  std::vector<bool> needed(g.nodes.size(), false);
  {
    std::set<std::string> wanted;
    for (const auto& o : g.outputs) wanted.insert(o.name);
    for (size_t k = order.size(); k-- > 0;) {
      const NodeProto& n = g.nodes[order[k]];
      bool use = std::any_of(n.outputs.begin(), n.outputs.end(),
                             [&](const std::string& o) { return wanted.count(o) > 0; });
      if (!use) continue;
      needed[order[k]] = true;
      for (const auto& in : n.inputs) wanted.insert(in);
    }
  }

  for (size_t idx : order) {
    if (!needed[idx]) continue;
    const NodeProto& n = g.nodes[idx];
    Node node;
    node.name = n.name;
    node.op_type = n.op_type;
    node.label = node_label(n, graph.opset);
    for (const auto& in : n.inputs)
      node.inputs.push_back(in.empty() ? -1 : graph.require_value(in));
    int node_index = static_cast<int>(graph.nodes.size());
    for (const auto& out : n.outputs) {
      if (out.empty()) {
        node.outputs.push_back(-1);
        continue;
      }
      int id = graph.add_value(out);
      graph.values[id].producer = node_index;
      node.outputs.push_back(id);
    }
    const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
    const OpInfo* info = default_domain ? registry.find(n.op_type) : nullptr;
    if (!info) {
      found.push_back({n.name, n.op_type,
                       node.label + ": operator " +
                           (default_domain ? "" : "from domain '" + n.domain + "' ") +
                           "is not supported"});
    } else if (graph.opset < info->min_opset || graph.opset > info->max_opset) {
      found.push_back({n.name, n.op_type,
                       node.label + ": this operator's opset-" + std::to_string(graph.opset) +
                           " version is not supported"});
    } else {
      try {
        NodeAttributes attrs(n.attributes, node.label);
        OpBuildContext ctx{attrs, graph.opset, n.inputs.size(), n.outputs.size(), node.label};
        std::unique_ptr<Op> op = info->factory(ctx);
        attrs.check_all_used();
        op->set_label(node.label);
        node.op = std::move(op);
        node.info = info;
      } catch (const Error& e) {
        found.push_back({n.name, n.op_type, e.what()});
      }
    }
    graph.nodes.push_back(std::move(node));
  }

  for (const ValueInfoProto& out : g.outputs) {
    int id = graph.find_value(out.name);
    HEATLENS_CHECK(id >= 0, "output '" << out.name << "' is never produced");
    declare_type(graph.values[id], out);
    graph.outputs.push_back(id);
  }
  for (const ValueInfoProto& vi : g.value_info) {
    int id = graph.find_value(vi.name);
    if (id >= 0 && !graph.values[id].has_declared_shape) declare_type(graph.values[id], vi);
  }

  if (strict && !found.empty()) {
    std::string msg =
        found.size() == 1 ? found[0].message : std::to_string(found.size()) + " problems: ";
    if (found.size() > 1) {
      for (size_t i = 0; i < found.size() && i < 12; ++i) msg += (i ? "; " : "") + found[i].message;
      if (found.size() > 12) msg += "; and " + std::to_string(found.size() - 12) + " more";
    }
    fail(msg);
  }
  if (issues) *issues = std::move(found);
  return graph;
}

Graph import_model(const ModelProto& model, bool strict, std::vector<ImportIssue>* issues) {
  return import_graph(model, strict, issues, nullptr);
}

Graph import_model(ModelProto&& model, bool strict, std::vector<ImportIssue>* issues) {
  return import_graph(model, strict, issues, &model.graph);
}

}  // namespace heatlens::onnx
