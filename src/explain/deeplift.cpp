// DeepLIFT with the rescale rule: multipliers Δy/Δx through element-wise nonlinearities (the
// gradient where Δx ≈ 0), ordinary gradients through linear and pooling operators, and
// attributions (x − x̄) ⊙ multipliers, which sum to f(x) − f(x̄).
// Shrikumar, Greenside & Kundaje 2017, "Learning Important Features Through Propagating
// Activation Differences"; Samek et al. 2019, ch. 9 (Prop. 3: equals ε-LRP for zero baselines).
#include <cmath>
#include <set>

#include "explain/baselines.h"
#include "explain/method.h"

namespace heatlens {

namespace {

const std::set<std::string>& nonlinear_ops() {
  static const std::set<std::string> ops = {"Relu", "LeakyRelu",   "Elu",       "Selu", "Sigmoid",
                                            "Tanh", "HardSigmoid", "HardSwish", "Clip", "Erf",
                                            "Exp",  "Log",         "Sqrt",      "Abs",  "PRelu"};
  return ops;
}

Attribution run_deeplift(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                         Progress& progress) {
  const Tensor base =
      make_baseline(p.text("baseline"), x, m.card(), p.number("blur-sigma"), p.integer("seed"));
  const Graph& g = m.graph();
  // Reference activations at the inputs of every element-wise nonlinearity.
  std::vector<std::string> names;
  for (const Node& n : g.nodes) {
    if (nonlinear_ops().count(n.op_type) && n.inputs[0] >= 0)
      names.push_back(g.values[n.inputs[0]].name);
  }
  progress.set_total(2);
  ForwardOptions ref_opts;
  ref_opts.capture = names;
  ForwardResult ref = m.engine().forward({base}, ref_opts);
  m.count_passes(1);
  progress.step();
  ExecContext serial;
  VjpHook rescale = [&](const Node& node, const VjpArgs& a, Tensors& grad_in) {
    if (!nonlinear_ops().count(node.op_type) || !a.inputs[0].defined()) return false;
    // Element-wise ops with parameters (PRelu slope, Clip bounds) keep them from the node.
    Tensors in_x = a.inputs, in_ref = a.inputs;
    in_ref[0] = ref.captured.at(g.values[node.inputs[0]].name);
    for (size_t k = 1; k < in_x.size(); ++k) {
      if (!in_x[k].defined() && node.inputs[k] >= 0) return false;  // parameter not kept: fall back
    }
    const Tensor y = node.op->forward(in_x, serial)[0];
    const Tensor y_ref = node.op->forward(in_ref, serial)[0];
    Tensors grads = node.op->vjp(a);  // the gradient, used where Δx ≈ 0
    const Tensor& dy = a.grad_outputs[0];
    const float* xv = in_x[0].f32();
    const float* rv = in_ref[0].f32();
    for (int64_t i = 0; i < dy.numel(); ++i) {
      const double dx = static_cast<double>(xv[i]) - rv[i];
      if (std::fabs(dx) > 1e-6)
        grads[0].f32()[i] = static_cast<float>((y.f32()[i] - y_ref.f32()[i]) / dx * dy.f32()[i]);
    }
    grad_in = grads;
    return true;
  };
  // The nonlinearities' inputs are captured so the tape keeps them even where an op's own
  // gradient reads only its output (Sigmoid, Tanh, Exp).
  Tensor mult = m.gradient(x, t, names, {}, rescale).grad;
  progress.step();
  Attribution out;
  out.relevance = Tensor(x.shape());
  double sum = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    out.relevance.f32()[i] = (x.f32()[i] - base.f32()[i]) * mult.f32()[i];
    sum += out.relevance.f32()[i];
  }
  Tensor lx = m.logits(x), lb = m.logits(base);
  out.delta = sum - (ExplainModel::score(lx.f32(), lx.dim(1), t) -
                     ExplainModel::score(lb.f32(), lb.dim(1), t));
  out.delta_name = "summation-to-delta";
  return out;
}

}  // namespace

void register_deeplift(std::vector<MethodInfo>& r) {
  r.push_back({"deeplift", MethodFamily::gradient, "gradient", "2 forward + 1 backward",
               "Shrikumar, Greenside & Kundaje 2017, Learning Important Features Through "
               "Propagating Activation Differences",
               "rescale-rule multipliers Δy/Δx through nonlinearities, times (input − baseline)",
               baseline_params(), run_deeplift});
}

}  // namespace heatlens
