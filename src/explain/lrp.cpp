// Layer-wise Relevance Propagation over the graph, with rules (explain/lrp_rules.cpp),
// composites and the BatchNorm canonizer, plus Deep Taylor decomposition.
// Bach et al. 2015; Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview"
// (Samek et al. 2019, ch. 10); composites as in Zennit.
#include <cmath>
#include <set>

#include "core/error.h"
#include "explain/baselines.h"
#include "explain/canonizer.h"
#include "explain/lrp_rules.h"
#include "explain/method.h"

namespace heatlens {

namespace {

struct Composite {
  std::string first, conv, dense;  // rule names; "" = same as conv/dense
};

const std::vector<std::pair<std::string, Composite>>& composites() {
  static const std::vector<std::pair<std::string, Composite>> c = {
      {"epsilon-plus", {"", "zplus", "epsilon"}},
      {"epsilon-plus-flat", {"flat", "zplus", "epsilon"}},
      {"epsilon-gamma-box", {"zbox", "gamma", "epsilon"}},
      {"epsilon-alpha2-beta1", {"", "alpha-beta", "epsilon"}},
      {"epsilon-alpha2-beta1-flat", {"flat", "alpha-beta", "epsilon"}},
  };
  return c;
}

struct LrpSetup {
  std::string uniform_rule;  // "" → composite
  Composite composite;
  std::map<std::string, std::string> overrides;  // node name → rule
  double epsilon, gamma, alpha, beta;
  Tensor low, high;  // x-shaped z^B bounds
};

Rule make_rule(const std::string& name, const LrpSetup& s, bool composite_alpha_beta) {
  Rule r;
  r.kind = parse_rule_kind(name);
  r.epsilon = s.epsilon;
  r.gamma = s.gamma;
  r.alpha = composite_alpha_beta ? 2.0 : s.alpha;
  r.beta = composite_alpha_beta ? 1.0 : s.beta;
  if (r.kind == RuleKind::alpha_beta) {
    HEATLENS_CHECK(r.alpha >= 0 && r.beta >= 0 && std::fabs(r.alpha - r.beta - 1.0) < 1e-9,
                   "the alpha-beta rule needs alpha − beta = 1 with both ≥ 0 (got alpha "
                       << r.alpha << ", beta " << r.beta << ")");
  }
  return r;
}

struct Propagation {
  Tensor input_relevance;
  std::vector<std::pair<std::string, double>> layer_sums;
  double start = 0;
};

Propagation propagate(Engine& engine, const OutputHead& head, const Tensor& x, const Target& t,
                      const LrpSetup& setup, Progress& progress) {
  const Graph& g = engine.graph();
  ForwardOptions opts;
  opts.record = true;
  opts.keep_all = true;
  ForwardResult fwd = engine.forward({x}, opts);
  const Tape& tape = *fwd.tape;
  const Plan& p = *tape.plan;
  std::vector<bool> is_constant(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) is_constant[i] = p.types[i].constant.defined();

  const int logits_id = g.require_value(head.logits);
  const Tensor& logits = tape.values[logits_id];
  HEATLENS_CHECK(logits.rank() == 2,
                 "LRP needs logits of shape [1, classes], got " << shape_str(logits.shape()));
  std::vector<Tensor> rel(g.values.size());
  Propagation out;
  rel[logits_id] = Tensor(logits.shape());
  out.start = logits.f32()[t.class_index];
  rel[logits_id].f32()[t.class_index] = logits.f32()[t.class_index];

  // The first linear layer (closest to the input) may take a special rule.
  int first_linear = -1;
  for (int n : p.steps) {
    if (linear_data_input(g.nodes[n], is_constant) >= 0) {
      first_linear = n;
      break;
    }
  }
  // Only nodes up to the logits take part.
  std::vector<bool> upstream(g.values.size(), false);
  upstream[logits_id] = true;
  const ExecContext ctx = engine.exec_context();
  progress.set_total(static_cast<int64_t>(p.steps.size()));
  for (size_t s = p.steps.size(); s-- > 0;) {
    progress.step();
    const Node& node = g.nodes[p.steps[s]];
    bool any = false;
    for (int id : node.outputs) any = any || (id >= 0 && rel[id].defined());
    if (!any) continue;
    Tensors in, out_vals, r_out;
    for (int id : node.inputs) in.push_back(id >= 0 ? tape.values[id] : Tensor());
    for (int id : node.outputs) {
      out_vals.push_back(id >= 0 ? tape.values[id] : Tensor());
      r_out.push_back(id >= 0 && rel[id].defined()
                          ? rel[id]
                          : (id >= 0 ? Tensor(p.types[id].shape) : Tensor()));
    }
    std::vector<bool> dynamic;
    for (int id : node.inputs)
      dynamic.push_back(id >= 0 && !is_constant[id] && p.types[id].dtype == DType::f32);
    Tensors r_in(node.inputs.size());
    const LrpRole role = node.info->lrp_role;
    const int data = linear_data_input(node, is_constant);
    if (data >= 0) {
      std::string name = setup.uniform_rule;
      bool composite_ab = false;
      if (name.empty()) {
        const bool conv = node.op_type == "Conv" || node.op_type == "ConvTranspose";
        name = conv ? setup.composite.conv : setup.composite.dense;
        if (p.steps[s] == first_linear && !setup.composite.first.empty())
          name = setup.composite.first;
        composite_ab = name == "alpha-beta";
      }
      auto ov = setup.overrides.find(node.name);
      if (ov != setup.overrides.end()) {
        name = ov->second;
        composite_ab = false;
      }
      Rule rule = make_rule(name, setup, composite_ab);
      if (rule.kind == RuleKind::zbox) {
        HEATLENS_CHECK(in[data].numel() == x.numel(),
                       node.label << ": the zbox rule applies to a layer fed by the input");
        rule.low = setup.low;
        rule.high = setup.high;
      }
      r_in[data] = apply_rule(node, rule, in, data, r_out[0], ctx);
      double sum = 0;
      for (int64_t i = 0; i < r_in[data].numel(); ++i) sum += r_in[data].f32()[i];
      out.layer_sums.push_back(
          {node.name.empty() ? g.values[node.outputs[0]].name : node.name, sum});
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
      const std::vector<ValueType> types = node_input_types(node, p);
      r_in = node.op->vjp(VjpArgs{types, in, out_vals, r_out, dynamic, ctx});
    } else if (role == LrpRole::proportional || role == LrpRole::normalization) {
      // Zennit's Norm rule: R_i = x_i · ∂z/∂x_i · R / (z + ε·sign z), with the op's own z. For
      // a BatchNorm the canonizer could not fold, this is the ε rule of the affine map.
      const std::vector<ValueType> types = node_input_types(node, p);
      Tensor ratio = stabilized_ratio(r_out[0], out_vals[0], 1e-6);
      Tensors grads = node.op->vjp(VjpArgs{types, in, out_vals, {ratio}, dynamic, ctx});
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (!dynamic[k] || !grads[k].defined()) continue;
        Tensor rk(grads[k].shape());
        for (int64_t i = 0; i < rk.numel(); ++i) rk.f32()[i] = in[k].f32()[i] * grads[k].f32()[i];
        r_in[k] = rk;
      }
    } else if (role == LrpRole::constant) {
      continue;
    } else {
      fail(node.label + " has no LRP rule (" + lrp_role_name(role) +
           "); LRP cannot pass relevance through it");
    }
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      if (id < 0 || !dynamic[k] || !r_in[k].defined()) continue;
      if (!rel[id].defined()) {
        rel[id] = r_in[k].clone();
      } else {
        for (int64_t i = 0; i < rel[id].numel(); ++i) rel[id].f32()[i] += r_in[k].f32()[i];
      }
    }
  }
  const int input_id = g.inputs[0];
  out.input_relevance = rel[input_id].defined() ? rel[input_id] : Tensor(x.shape());
  std::reverse(out.layer_sums.begin(), out.layer_sums.end());
  return out;
}

bool has_node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes) {
    if (n.name == name) return true;
  }
  return false;
}

// z^B bounds shaped like x: the parameters when given, else the model card's range per channel.
void bounds(const ExplainModel& m, const Tensor& x, const ParamValues& p, Tensor& low,
            Tensor& high) {
  low = Tensor(x.shape());
  high = Tensor(x.shape());
  const int64_t channels = x.rank() >= 2 ? x.dim(1) : 1, per = x.numel() / channels;
  const auto ranges = channel_ranges(m.card(), x);
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto range = ranges[(i / per) % channels];
    if (m.card().input_bounds) range = *m.card().input_bounds;
    low.f32()[i] = p.text("low").empty() ? range.first : static_cast<float>(p.number("low"));
    high.f32()[i] = p.text("high").empty() ? range.second : static_cast<float>(p.number("high"));
  }
}

Attribution run_lrp(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                    Progress& progress, bool deep_taylor) {
  LrpSetup setup;
  setup.epsilon = p.number("epsilon");
  setup.gamma = deep_taylor ? 0.25 : p.number("gamma");
  setup.alpha = deep_taylor ? 1 : p.number("alpha");
  setup.beta = deep_taylor ? 0 : p.number("beta");
  bounds(m, x, p, setup.low, setup.high);
  if (deep_taylor) {
    setup.composite = {"zbox", "zplus", "zplus"};
  } else {
    const std::string rule = p.text("rule");
    if (rule != "none") {
      setup.uniform_rule = rule;
    } else {
      bool found = false;
      for (const auto& [name, c] : composites()) {
        if (name == p.text("composite")) {
          setup.composite = c;
          found = true;
        }
      }
      HEATLENS_CHECK(found, "unknown composite '" << p.text("composite") << "'");
    }
    for (const auto& [node, r] : p.with_prefix("node:")) {
      parse_rule_kind(r);
      HEATLENS_CHECK(has_node(m.graph(), node), "node:" << node << " names no node of the model");
      setup.overrides[node] = r;
    }
  }
  Propagation r = propagate(m.canonized_engine(), m.head(), x, t, setup, progress);
  m.count_passes(2);
  Attribution a;
  a.relevance = r.input_relevance;
  a.layer_sums = r.layer_sums;
  double sum = 0;
  for (int64_t i = 0; i < a.relevance.numel(); ++i) sum += a.relevance.f32()[i];
  a.delta = sum - r.start;
  a.delta_name = "conservation";
  a.notes["start"] = "logit " + std::to_string(r.start);
  return a;
}

std::vector<ParamSpec> lrp_params(bool deep_taylor) {
  std::vector<ParamSpec> ps;
  if (!deep_taylor) {
    std::vector<std::string> rules = {"none"};
    for (const auto& r : rule_names()) rules.push_back(r);
    std::vector<std::string> names;
    for (const auto& [n, c] : composites()) names.push_back(n);
    ps.push_back({"rule", ParamType::choice, "none", 0, 0, rules,
                  "one rule for all linear layers (none: use the composite)"});
    ps.push_back({"composite", ParamType::choice, "epsilon-plus", 0, 0, names,
                  "rules per layer type (first layer, conv, dense)"});
    ps.push_back({"gamma", ParamType::number, "0.25", 0, 1e9, {}, "γ of the gamma rule"});
    ps.push_back(
        {"alpha", ParamType::number, "2", 0, 100, {}, "α of the alpha-beta rule (α − β = 1)"});
    ps.push_back({"beta", ParamType::number, "1", 0, 100, {}, "β of the alpha-beta rule"});
    ps.push_back({"node:*", ParamType::choice, "", 0, 0, rule_names(),
                  "per-node rule override, e.g. node:conv1=flat"});
  }
  ps.insert(ps.begin() + (deep_taylor ? 0 : 2),
            {"epsilon", ParamType::number, "1e-6", 0, 1e6, {}, "ε of the epsilon rule"});
  ps.push_back({"low",
                ParamType::text,
                "",
                0,
                0,
                {},
                "z^B lower bound (default: the model card's input range)"});
  ps.push_back({"high",
                ParamType::text,
                "",
                0,
                0,
                {},
                "z^B upper bound (default: the model card's input range)"});
  return ps;
}

}  // namespace

void register_lrp(std::vector<MethodInfo>& r) {
  r.push_back({"lrp", MethodFamily::propagation, "layers", "1 forward + 1 modified backward",
               "Bach et al. 2015, On Pixel-Wise Explanations by Layer-Wise Relevance Propagation; "
               "Montavon et al. 2019 (Samek et al. 2019, ch. 10)",
               "relevance of the target logit propagated layer by layer with LRP rules",
               lrp_params(false),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_lrp(m, x, t, p, pr, false); }});
  r.push_back({"deep-taylor", MethodFamily::propagation, "layers",
               "1 forward + 1 modified backward",
               "Montavon et al. 2017, Explaining nonlinear classification decisions with deep "
               "Taylor decomposition (Samek et al. 2019, ch. 22)",
               "z+ in hidden layers and z^B at the input", lrp_params(true),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_lrp(m, x, t, p, pr, true); }});
}

}  // namespace heatlens
