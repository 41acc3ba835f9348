// Layer-wise Relevance Propagation over the graph, with rules (explain/lrp_rules.cpp),
// composites and the BatchNorm canonizer, plus Deep Taylor decomposition.
// Bach et al. 2015; Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview"
// (Samek et al. 2019, ch. 10); composites as in Zennit.
#include <cmath>
#include <set>

#include "core/error.h"
#include "explain/baselines.h"
#include "explain/canonizer.h"
#include "explain/host_tensor_math.h"
#include "explain/lrp_propagation.h"
#include "explain/method.h"

namespace heatlens {

namespace {

const std::vector<std::pair<std::string, LrpComposite>>& composites() {
  static const std::vector<std::pair<std::string, LrpComposite>> c = {
      {"epsilon-plus", {"", "zplus", "epsilon"}},
      {"epsilon-plus-flat", {"flat", "zplus", "epsilon"}},
      {"epsilon-gamma-box", {"zbox", "gamma", "epsilon"}},
      {"epsilon-alpha2-beta1", {"", "alpha-beta", "epsilon"}},
      {"epsilon-alpha2-beta1-flat", {"flat", "alpha-beta", "epsilon"}},
  };
  return c;
}

DeviceRelevance& device_pass() {
  static DeviceRelevance pass = nullptr;
  return pass;
}

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

}  // namespace

Rule choose_rule(const Node& node, bool first, const LrpSetup& setup, const Shape& data_shape) {
  std::string name = setup.uniform_rule;
  bool composite_ab = false;
  if (name.empty()) {
    const bool conv = node.op_type == "Conv" || node.op_type == "ConvTranspose";
    name = conv ? setup.composite.conv : setup.composite.dense;
    if (first && !setup.composite.first.empty()) name = setup.composite.first;
    composite_ab = name == "alpha-beta";
  }
  auto ov = setup.overrides.find(node.name);
  if (ov != setup.overrides.end()) {
    name = ov->second;
    composite_ab = false;
  }
  Rule rule = make_rule(name, setup, composite_ab);
  if (rule.kind == RuleKind::zbox) {
    HEATLENS_CHECK(shape_numel(data_shape) == setup.low.numel(),
                   node.label << ": the zbox rule applies to a layer fed by the input");
    rule.low = setup.low;
    rule.high = setup.high;
  }
  return rule;
}

void set_device_relevance(DeviceRelevance pass) {
  device_pass() = pass;
}

DeviceRelevance device_relevance() {
  return device_pass();
}

namespace {

// The CPU's pass (lrp_propagation.h) over a tape's host values.
class HostPass {
 public:
  using T = Tensor;
  HostPass(const Engine& engine, const Tape& tape)
      : plan_(*tape.plan),
        values_(tape.backend ? tape.backend->host_values(tape) : tape.values),
        saved_(tape.saved),
        ctx_(engine.exec_context()),
        cache_([&engine](const std::string& key, const std::function<Tensor()>& make) {
          return engine.derived_constant(key, make);
        }),
        nonnegative_(nonnegative_values(engine.graph(), plan_)) {
    // Each run multiplies by the transposes of the same rule-modified weights.
    ctx_.keep_transposed_weights = true;
    // The rules' products may run on transformed weights (Winograd): what they compute only
    // divides and scales, while the ties the pass routes through (max pooling's winners) are
    // the recorded forward's.
    ctx_.transformed_weights = true;
  }

  static bool defined(const Tensor& t) { return t.defined(); }
  Tensor seed(const Shape& shape, int64_t class_index, float value) const {
    Tensor t(shape);
    t.f32()[class_index] = value;
    return t;
  }
  Tensor linear(const Node& node, const Rule& rule, int data, const Tensor& r_out) const {
    return apply_rule(node, rule, inputs(node), data, r_out, ctx_, cache_,
                      nonnegative_[node.inputs[data]]);
  }
  Tensors vjp(const Node& node, const Tensors& r_out, const std::vector<bool>& dynamic) const {
    Tensors out_vals;
    for (int id : node.outputs) out_vals.push_back(id >= 0 ? values_[id] : Tensor());
    VjpArgs args{node_input_types(node, plan_), inputs(node), out_vals, r_out, dynamic, ctx_};
    args.saved = saved_for(saved_, node);
    return node.op->vjp(args);
  }
  const Tensor& value(int id) const { return values_[id]; }
  Tensor ratio(const Tensor& r, const Tensor& z, double eps) const {
    return stabilized_ratio(r, z, eps, ctx_);
  }
  Tensor mul(const Tensor& a, const Tensor& b) const { return multiply(a, b, ctx_); }
  Tensors sum_shares(const Tensor& r, const Tensor& z, double eps, const Tensors& xs) const {
    return heatlens::sum_shares(r, z, static_cast<float>(eps), xs, ctx_);
  }
  Tensor add(const Tensor& a, const Tensor& b) const { return heatlens::add(a, b, ctx_); }
  static Tensor zeros(const Shape& s) { return Tensor(s); }
  void layer_sum(const std::string& name, const Tensor& r) {
    sums_.push_back({name, sum_elements(r, ctx_)});
  }
  std::vector<std::pair<std::string, double>> layer_sums() const { return sums_; }
  static Tensor to_host(const Tensor& t) { return t; }

 private:
  Tensors inputs(const Node& node) const {
    Tensors in;
    for (int id : node.inputs) in.push_back(id >= 0 ? values_[id] : Tensor());
    return in;
  }
  const Plan& plan_;
  Tensors values_;
  const Tensors& saved_;  // the tape's (max pooling's winners), which outlives the pass
  ExecContext ctx_;
  ConstantCache cache_;
  std::vector<bool> nonnegative_;  // by value id (nonnegative_values)
  std::vector<std::pair<std::string, double>> sums_;
};

// The values propagate_relevance reads: each linear layer's data input, what the VJP of a
// winner-takes-all or data-movement node uses, and a proportional node's inputs and output.
// Pass-through activations read nothing, so the forward may fuse them into their convolutions.
std::vector<bool> lrp_kept_values(const Graph& g, const Plan& p) {
  std::vector<bool> keep(g.values.size(), false), is_constant(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) is_constant[i] = p.types[i].constant.defined();
  for (int n : p.steps) {
    const Node& node = g.nodes[n];
    const int data = linear_data_input(node, is_constant);
    if (data >= 0) {
      keep[node.inputs[data]] = true;
      continue;
    }
    const LrpRole role = node.info->lrp_role;
    const bool proportional = role == LrpRole::proportional || role == LrpRole::normalization;
    if (!proportional && role != LrpRole::winner_takes_all && role != LrpRole::data_movement)
      continue;
    std::vector<bool> dynamic;
    for (int id : node.inputs)
      dynamic.push_back(id >= 0 && !is_constant[id] && p.types[id].dtype == DType::f32);
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (node.inputs[k] < 0) continue;
      if ((proportional && dynamic[k]) || node.op->vjp_uses_input(static_cast<int>(k), dynamic))
        keep[node.inputs[k]] = true;
    }
    // A sum of two values is recomputed from them (sums_two_values).
    const bool sum_kept = proportional && !sums_two_values(node, p, dynamic);
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k] < 0) continue;
      if ((sum_kept && k == 0) || node.op->vjp_uses_output(static_cast<int>(k)))
        keep[node.outputs[k]] = true;
    }
  }
  return keep;
}

// One forward that keeps what the relevance pass reads, then the pass on the backend that ran
// it (an accelerator backend's forward keeps every activation, as its pass may read any).
Propagation propagate(Engine& engine, const OutputHead& head, const Tensor& x, const Target& t,
                      const LrpSetup& setup, Progress& progress) {
  const Graph& g = engine.graph();
  ForwardOptions opts;
  opts.record = true;
  if (engine.backend())
    opts.keep_all = true;
  else
    opts.keep_values = lrp_kept_values(g, *engine.plan({x.shape()}, {x.dtype()}));
  opts.capture = {head.logits};
  opts.transforms_where_tie_free = true;
  ForwardResult fwd = engine.forward({x}, opts);
  const int logits_id = g.require_value(head.logits);
  Propagation out;
  if (fwd.tape->backend && device_pass() &&
      device_pass()(engine, fwd, logits_id, t.class_index, setup, progress, out))
    return out;
  HostPass pass(engine, *fwd.tape);
  return propagate_relevance(pass, g, *fwd.tape->plan, logits_id, fwd.captured.at(head.logits),
                             t.class_index, setup, progress);
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
  // The parameters are looked up once, not per element.
  const bool given_low = !p.text("low").empty(), given_high = !p.text("high").empty();
  const float low_value = given_low ? static_cast<float>(p.number("low")) : 0.0f;
  const float high_value = given_high ? static_cast<float>(p.number("high")) : 0.0f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto range = ranges[(i / per) % channels];
    if (m.card().input_bounds) range = *m.card().input_bounds;
    low.f32()[i] = given_low ? low_value : range.first;
    high.f32()[i] = given_high ? high_value : range.second;
  }
}

Attribution run_lrp(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                    Progress& progress, bool deep_taylor) {
  LrpSetup setup;
  setup.epsilon = p.number("epsilon");
  setup.gamma = deep_taylor ? 0.25 : p.number("gamma");
  setup.alpha = deep_taylor ? 1 : p.number("alpha");
  setup.beta = deep_taylor ? 0 : p.number("beta");
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
  // The z^B bounds, only where some layer takes the zbox rule (they cost a pass over the input
  // and the model card's ranges on every call).
  bool zbox = setup.uniform_rule == "zbox" || setup.composite.first == "zbox" ||
              setup.composite.conv == "zbox" || setup.composite.dense == "zbox";
  for (const auto& [node, r] : setup.overrides) zbox = zbox || r == "zbox";
  if (zbox) bounds(m, x, p, setup.low, setup.high);
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
