#include "explain/canonizer.h"

#include <cmath>

#include "core/error.h"

namespace heatlens {

namespace {

int consumers(const Graph& g, int value) {
  int n = 0;
  for (const Node& node : g.nodes) {
    for (int id : node.inputs) n += id == value;
  }
  for (int id : g.outputs) n += id == value;
  return n;
}

std::shared_ptr<const Op> identity_op(const std::string& label) {
  const OpInfo* info = op_registry().find("Identity");
  NodeAttributes attrs({}, label);
  OpBuildContext ctx{attrs, 13, 1, 1, label};
  std::shared_ptr<Op> op = info->factory(ctx);
  op->set_label(label);
  return op;
}

}  // namespace

Graph fold_batch_norm(const Graph& graph, std::vector<std::string>* folded) {
  Graph g = graph;
  for (Node& bn : g.nodes) {
    if (bn.op_type != "BatchNormalization" || bn.inputs.size() != 5) continue;
    const int x = bn.inputs[0];
    if (x < 0 || g.values[x].producer < 0 || consumers(g, x) != 1) continue;
    Node& layer = g.nodes[g.values[x].producer];
    if (layer.op_type != "Conv") continue;
    if (layer.inputs.size() < 2 || !g.values[layer.inputs[1]].initializer.defined()) continue;
    bool params_constant = true;
    for (int k = 1; k < 5; ++k)
      params_constant = params_constant && g.values[bn.inputs[k]].initializer.defined();
    if (!params_constant) continue;
    const Tensor& scale = g.values[bn.inputs[1]].initializer;
    const Tensor& shift = g.values[bn.inputs[2]].initializer;
    const Tensor& mean = g.values[bn.inputs[3]].initializer;
    const Tensor& var = g.values[bn.inputs[4]].initializer;
    const int64_t channels = scale.numel();
    // The BN's epsilon: recomputed from its op by running it on a unit probe per channel.
    Tensor probe({1, channels});
    for (int64_t c = 0; c < channels; ++c) probe.f32()[c] = 1.0f;
    ExecContext serial;
    Tensor y1 = bn.op->forward({probe, scale, shift, mean, var}, serial)[0];
    Tensor y0 = bn.op->forward({Tensor({1, channels}), scale, shift, mean, var}, serial)[0];
    std::vector<float> a(channels), b(channels);
    for (int64_t c = 0; c < channels; ++c) {
      a[c] = y1.f32()[c] - y0.f32()[c];  // scale / √(var + ε)
      b[c] = y0.f32()[c];                // shift − mean·a
    }
    Tensor w = g.values[layer.inputs[1]].initializer.clone();
    HEATLENS_CHECK(w.dim(0) == channels,
                   bn.label << ": channel count differs from " << layer.label);
    const int64_t per = w.numel() / channels;
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < per; ++i) w.f32()[c * per + i] *= a[c];
    }
    Tensor bias({channels});
    const bool has_bias = layer.inputs.size() > 2 && layer.inputs[2] >= 0;
    if (has_bias) {
      const Tensor& old = g.values[layer.inputs[2]].initializer;
      if (!old.defined()) continue;
      for (int64_t c = 0; c < channels; ++c) bias.f32()[c] = old.f32()[c] * a[c] + b[c];
    } else {
      for (int64_t c = 0; c < channels; ++c) bias.f32()[c] = b[c];
    }
    const int w_id = g.add_value(g.values[layer.inputs[1]].name + "/bn_folded");
    g.values[w_id].initializer = w;
    const int b_id = g.add_value(bn.name + "/bias_folded");
    g.values[b_id].initializer = bias;
    layer.inputs[1] = w_id;
    if (has_bias)
      layer.inputs[2] = b_id;
    else
      layer.inputs.push_back(b_id);
    if (folded) folded->push_back(bn.name);
    bn.op_type = "Identity";
    bn.inputs = {x};
    bn.op = identity_op(bn.label);
    bn.info = op_registry().find("Identity");
  }
  return g;
}

}  // namespace heatlens
