#include "engine/fusion.h"

namespace heatlens {

std::vector<Fusion> find_fusions(const Graph& graph, const Plan& plan) {
  std::vector<Fusion> fusions(plan.steps.size());
  // Which steps read each value.
  std::vector<std::vector<int>> readers(graph.values.size());
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    for (int id : graph.nodes[plan.steps[s]].inputs) {
      if (id >= 0 && (readers[id].empty() || readers[id].back() != static_cast<int>(s)))
        readers[id].push_back(static_cast<int>(s));
    }
  }
  std::vector<bool> is_output(graph.values.size(), false);
  for (int id : graph.outputs) is_output[id] = true;
  auto node_at = [&](int step) -> const Node& { return graph.nodes[plan.steps[step]]; };

  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& node = node_at(static_cast<int>(s));
    if (!node.op->fuses_activation() || node.outputs.size() != 1 || node.outputs[0] < 0) continue;
    const int pre = node.outputs[0];
    if (is_output[pre] || plan.types[pre].dtype != DType::f32) continue;
    const std::vector<int>& r = readers[pre];
    Fusion f;
    if (r.size() == 1) {
      // Relu or Clip reading only this value.
      const Node& act = node_at(r[0]);
      if (act.inputs.empty() || act.inputs[0] != pre || act.outputs.size() != 1) continue;
      bool reads_twice = false;
      for (size_t k = 1; k < act.inputs.size(); ++k)
        reads_twice = reads_twice || act.inputs[k] == pre;
      if (reads_twice || !act.op->as_activation(node_input_types(act, plan), f.activation))
        continue;
      f.result = act.outputs[0];
      f.intermediates = {pre};
      f.absorbed = {r[0]};
    } else if (r.size() == 2) {
      // SiLU: sig = Sigmoid(pre); out = Mul(pre, sig) or Mul(sig, pre); sig read only there.
      int sig_step = -1, mul_step = -1;
      for (int step : r) {
        if (node_at(step).op_type == "Sigmoid") sig_step = step;
        if (node_at(step).op_type == "Mul") mul_step = step;
      }
      if (sig_step < 0 || mul_step < 0) continue;
      const Node& sig = node_at(sig_step);
      const Node& mul = node_at(mul_step);
      if (sig.outputs.size() != 1 || mul.inputs.size() != 2 || mul.outputs.size() != 1) continue;
      const int sv = sig.outputs[0];
      const bool operands = (mul.inputs[0] == pre && mul.inputs[1] == sv) ||
                            (mul.inputs[1] == pre && mul.inputs[0] == sv);
      if (!operands || readers[sv].size() != 1 || is_output[sv]) continue;
      f.activation = Activation::silu();
      f.result = mul.outputs[0];
      f.intermediates = {pre, sv};
      f.absorbed = {sig_step, mul_step};
    } else {
      continue;
    }
    if (f.result < 0 || plan.types[f.result].shape != plan.types[pre].shape) continue;
    fusions[s] = f;
  }
  return fusions;
}

}  // namespace heatlens
