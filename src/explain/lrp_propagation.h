// The LRP pass over a graph: relevance from the target logit back to the input, node by node
// (rules at linear layers, explain/lrp_rules.h; Zennit's pass-through, winner-takes-all and
// Norm rules elsewhere). Written once over a pass P holding the recorded forward, so the CPU
// (explain/lrp.cpp) and the WebGPU backend (gpu/device_lrp.cpp) run the same propagation:
//   P::T                                  a relevance tensor (default-constructed = absent)
//   seed(logits_shape, class, value)      one-hot `value` at the target class
//   linear(node, rule, data, r_out)       the rule's relevance at the data input
//   vjp(node, r_out, dynamic)             the op's own VJP (winner-takes-all, data movement)
//   value(id)                             a recorded value (proportional nodes read them)
//   ratio(r, z, ε), mul(a, b), add(a, b), zeros(shape)
//   sum_shares(r, z, ε, xs)               xs[k]·ratio(r, z, ε) for each k (the Norm rule at a sum)
//   layer_sum(name, r)                    remembers Σr for the per-layer conservation report
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/progress.h"
#include "engine/engine.h"
#include "explain/lrp_rules.h"

namespace heatlens {

struct LrpComposite {
  std::string first, conv, dense;  // rule names; "" = same as conv/dense
};

struct LrpSetup {
  std::string uniform_rule;  // "" → composite
  LrpComposite composite;
  std::map<std::string, std::string> overrides;  // node name → rule
  double epsilon = 1e-6, gamma = 0.25, alpha = 2, beta = 1;
  Tensor low, high;  // x-shaped z^B bounds
};

struct Propagation {
  Tensor input_relevance;
  std::vector<std::pair<std::string, double>> layer_sums;
  double start = 0;
};

// The rule of a linear node (`first`: the linear layer closest to the input).
Rule choose_rule(const Node& node, bool first, const LrpSetup& setup, const Shape& data_shape);

// An accelerator's LRP pass over a forward its backend recorded (set by the WebGPU module);
// returns false when the forward's backend is not its own.
using DeviceRelevance = bool (*)(Engine& engine, const ForwardResult& forward, int logits_id,
                                 int64_t class_index, const LrpSetup& setup, Progress& progress,
                                 Propagation& out);
void set_device_relevance(DeviceRelevance pass);
DeviceRelevance device_relevance();

// Whether `node` is an Add whose dynamic inputs all have its output's shape (no broadcast): then
// ∂z/∂x_k = 1 for each, and the Norm rule gives x_k · R / (z + ε·sign z).
inline bool sums_same_shapes(const Node& node, const Plan& p, const std::vector<bool>& dynamic) {
  if (node.op_type != "Add" || node.outputs.empty() || node.outputs[0] < 0) return false;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    if (dynamic[k] && p.types[node.inputs[k]].shape != p.types[node.outputs[0]].shape) return false;
  }
  return true;
}

// Whether such an Add sums two dynamic inputs: its z is then x_0 + x_1, recomputed as the Add
// rounds it where the forward did not keep it. LRP's forward does not, so that the activation
// after the sum fuses into the Add (ResNet's blocks: a pass over each sum saved).
inline bool sums_two_values(const Node& node, const Plan& p, const std::vector<bool>& dynamic) {
  return node.inputs.size() == 2 && dynamic.size() == 2 && dynamic[0] && dynamic[1] &&
         sums_same_shapes(node, p, dynamic);
}

template <class P>
Propagation propagate_relevance(P& pass, const Graph& g, const Plan& p, int logits_id,
                                const Tensor& logits, int64_t class_index, const LrpSetup& setup,
                                Progress& progress) {
  using T = typename P::T;
  HEATLENS_CHECK(logits.rank() == 2,
                 "LRP needs logits of shape [1, classes], got " << shape_str(logits.shape()));
  std::vector<bool> is_constant(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) is_constant[i] = p.types[i].constant.defined();
  Propagation out;
  out.start = logits.f32()[class_index];
  std::vector<T> rel(g.values.size());
  std::vector<bool> has(g.values.size(), false);
  rel[logits_id] = pass.seed(logits.shape(), class_index, static_cast<float>(out.start));
  has[logits_id] = true;

  // The first linear layer (closest to the input) may take a special rule.
  int first_linear = -1;
  for (int n : p.steps) {
    if (linear_data_input(g.nodes[n], is_constant) >= 0) {
      first_linear = n;
      break;
    }
  }
  progress.set_total(static_cast<int64_t>(p.steps.size()));
  for (size_t s = p.steps.size(); s-- > 0;) {
    progress.step();
    const Node& node = g.nodes[p.steps[s]];
    bool any = false;
    for (int id : node.outputs) any = any || (id >= 0 && has[id]);
    if (!any) continue;
    std::vector<T> r_out;
    for (int id : node.outputs) {
      r_out.push_back(id >= 0 && has[id] ? rel[id]
                                         : (id >= 0 ? pass.zeros(p.types[id].shape) : T()));
    }
    std::vector<bool> dynamic;
    for (int id : node.inputs)
      dynamic.push_back(id >= 0 && !is_constant[id] && p.types[id].dtype == DType::f32);
    std::vector<T> r_in(node.inputs.size());
    const LrpRole role = node.info->lrp_role;
    const int data = linear_data_input(node, is_constant);
    if (data >= 0) {
      const Rule rule =
          choose_rule(node, p.steps[s] == first_linear, setup, p.types[node.inputs[data]].shape);
      r_in[data] = pass.linear(node, rule, data, r_out[0]);
      pass.layer_sum(node.name.empty() ? g.values[node.outputs[0]].name : node.name, r_in[data]);
    } else if (role == LrpRole::pass_through) {
      // Element-wise activation (or a scaling by a constant): relevance passes unchanged to the
      // input with the output's shape; a broadcast gate (squeeze-excitation) receives none.
      int target = -1;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (dynamic[k] && p.types[node.inputs[k]].shape == p.types[node.outputs[0]].shape) {
          target = static_cast<int>(k);
          break;
        }
      }
      HEATLENS_CHECK(target >= 0, node.label << ": no input to pass relevance to");
      r_in[target] = r_out[0];
    } else if (role == LrpRole::winner_takes_all || role == LrpRole::data_movement) {
      r_in = pass.vjp(node, r_out, dynamic);
    } else if (role == LrpRole::proportional && sums_same_shapes(node, p, dynamic)) {
      // A residual sum: each summand's share in one pass, where the general route below makes
      // the ratio, copies it to each input through Add's VJP and then multiplies.
      std::vector<T> xs;
      std::vector<size_t> at;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (!dynamic[k]) continue;
        xs.push_back(pass.value(node.inputs[k]));
        at.push_back(k);
      }
      // An undefined z (sums_two_values) is recomputed by the pass.
      const std::vector<T> shares =
          pass.sum_shares(r_out[0], pass.value(node.outputs[0]), 1e-6, xs);
      for (size_t i = 0; i < at.size(); ++i) r_in[at[i]] = shares[i];
    } else if (role == LrpRole::proportional || role == LrpRole::normalization) {
      // Zennit's Norm rule: R_i = x_i · ∂z/∂x_i · R / (z + ε·sign z), with the op's own z. For
      // a BatchNorm the canonizer could not fold, this is the ε rule of the affine map.
      const std::vector<T> grads =
          pass.vjp(node, {pass.ratio(r_out[0], pass.value(node.outputs[0]), 1e-6)}, dynamic);
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (dynamic[k] && k < grads.size() && P::defined(grads[k]))
          r_in[k] = pass.mul(pass.value(node.inputs[k]), grads[k]);
      }
    } else if (role == LrpRole::constant) {
      continue;
    } else {
      fail(node.label + " has no LRP rule (" + lrp_role_name(role) +
           "); LRP cannot pass relevance through it");
    }
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      if (id < 0 || !dynamic[k] || k >= r_in.size() || !P::defined(r_in[k])) continue;
      rel[id] = has[id] ? pass.add(rel[id], r_in[k]) : r_in[k];
      has[id] = true;
    }
    // A value has one producer: its relevance has been passed on.
    for (int id : node.outputs) {
      if (id >= 0) rel[id] = T();
    }
  }
  const int input_id = g.inputs[0];
  out.input_relevance =
      has[input_id] ? pass.to_host(rel[input_id]) : Tensor(p.types[input_id].shape);
  out.layer_sums = pass.layer_sums();
  std::reverse(out.layer_sums.begin(), out.layer_sums.end());
  return out;
}

}  // namespace heatlens
