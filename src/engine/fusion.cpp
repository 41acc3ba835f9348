#include "engine/fusion.h"

namespace heatlens {

std::vector<Fusion> find_fusions(const Graph& graph, const Plan& plan, const ValueUses& uses) {
  std::vector<Fusion> fusions(plan.steps.size());
  const std::vector<std::vector<int>>& readers = uses.readers;
  const std::vector<bool>& is_output = uses.is_output;
  auto node_at = [&](int step) -> const Node& { return graph.nodes[plan.steps[step]]; };

  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& node = node_at(static_cast<int>(s));
    if (!node.op->fuses_activation() || node.outputs.size() != 1 || node.outputs[0] < 0) continue;
    const int pre = node.outputs[0];
    if (is_output[pre] || plan.types[pre].dtype != DType::f32) continue;
    const std::vector<int>& r = readers[pre];
    Fusion f;
    if (r.size() == 1) {
      // Relu or Clip reading only this value, once (a node reading it twice is two readers).
      const Node& act = node_at(r[0]);
      if (act.inputs.empty() || act.inputs[0] != pre || act.outputs.size() != 1) continue;
      if (!act.op->as_activation(node_input_types(act, plan), f.activation)) continue;
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

std::vector<Fusion> find_residual_fusions(const Graph& graph, const Plan& plan,
                                          const ValueUses& uses) {
  std::vector<Fusion> fusions(plan.steps.size());
  const std::vector<std::vector<int>>& readers = uses.readers;
  const std::vector<int>& made_at = uses.made_at;
  const std::vector<bool>& is_output = uses.is_output;
  auto node_at = [&](int step) -> const Node& { return graph.nodes[plan.steps[step]]; };

  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& conv = node_at(static_cast<int>(s));
    if (conv.op_type != "Conv" || conv.outputs.size() != 1 || conv.outputs[0] < 0) continue;
    const int pre = conv.outputs[0];
    if (is_output[pre] || plan.types[pre].dtype != DType::f32 || readers[pre].size() != 1) continue;
    // An Add of this output and a value of its shape made before it (no broadcast).
    const int add_step = readers[pre][0];
    const Node& add = node_at(add_step);
    if (add.op_type != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1 ||
        add.outputs[0] < 0)
      continue;
    const int other = add.inputs[0] == pre ? add.inputs[1] : add.inputs[0];
    const int sum = add.outputs[0];
    if (other < 0 || other == pre || made_at[other] >= static_cast<int>(s) ||
        plan.types[other].dtype != DType::f32 || plan.types[other].shape != plan.types[pre].shape ||
        plan.types[sum].shape != plan.types[pre].shape)
      continue;
    Fusion f;
    f.addend = other;
    f.result = sum;
    f.intermediates = {pre};
    f.absorbed = {add_step};
    // The activation reading only the sum, when there is one.
    if (!is_output[sum] && readers[sum].size() == 1) {
      const Node& act = node_at(readers[sum][0]);
      Activation a;
      bool reads_once = !act.inputs.empty() && act.inputs[0] == sum && act.outputs.size() == 1 &&
                        act.outputs[0] >= 0;
      for (size_t k = 1; k < act.inputs.size(); ++k)
        reads_once = reads_once && act.inputs[k] != sum;
      if (reads_once && act.op->as_activation(node_input_types(act, plan), a) &&
          plan.types[act.outputs[0]].shape == plan.types[sum].shape) {
        f.activation = a;
        f.result = act.outputs[0];
        f.intermediates.push_back(sum);
        f.absorbed.push_back(readers[sum][0]);
      }
    }
    fusions[s] = f;
  }
  return fusions;
}

}  // namespace heatlens
