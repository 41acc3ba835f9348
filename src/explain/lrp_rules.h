// LRP rules for linear layers (Conv, ConvTranspose, Gemm, MatMul with a constant operand),
// following Zennit's definitions (src/zennit/rules.py), generalised for negative inputs, with
// the stabiliser z + ε·sign(z), sign(0) = +1, and biases included unless a rule drops them.
//
// The rules are written once (rule_relevance) over a tensor algebra M, so the CPU (host
// tensors, lrp_rules.cpp) and the WebGPU backend (device tensors, gpu/device_lrp.cpp) run the
// same formulas:
//   Rule r = parse_rule("gamma", params);
//   Tensor r_in = apply_rule(node, r, layer_inputs, data_index, r_out, ctx);   // on the CPU
#pragma once

#include <functional>
#include <string>

#include "engine/plan.h"
#include "graph/graph.h"

namespace heatlens {

enum class RuleKind { zero, epsilon, gamma, alpha_beta, zplus, zbox, flat, wsquare };

struct Rule {
  RuleKind kind = RuleKind::epsilon;
  double epsilon = 1e-6;  // epsilon rule; the other rules stabilise with 1e-6 (Zennit's default)
  double gamma = 0.25;
  double alpha = 2, beta = 1;
  Tensor low, high;  // zbox bounds, shaped like the layer's input
};

const std::vector<std::string>&
rule_names();  // 0, epsilon, gamma, alpha-beta, zplus, zbox, flat, wsquare
RuleKind parse_rule_kind(const std::string& name);
std::string rule_label(const Rule& r);  // e.g. "gamma(0.25)"

// Which input of a linear node carries the data (the others are constant weights/bias);
// -1 when the node is not a linear layer LRP can apply a rule to.
int linear_data_input(const Node& node, const std::vector<bool>& is_constant);

// Keeps tensors derived from a layer's constant weight and bias (w⁺, w⁻, w + γw⁺, …) between
// calls: `make` runs the first time `key` is seen (Engine::derived_constant).
using ConstantCache =
    std::function<Tensor(const std::string& key, const std::function<Tensor()>& make)>;

// Relevance at the data input of a linear node, given the relevance at its output. With a
// cache, the rule's modified weights are made once per model.
// `data_nonnegative`: the data input is known to have no negative element (as the graph says:
// nonnegative_values), so the rules need not look.
// Where the output relevance lies in at most `confined_fraction` of a Conv's (one group) or
// Gemm's output channels (a classifier's target), only those channels' filters multiply;
// tests pass 0 to compare with the whole layer.
Tensor apply_rule(const Node& node, const Rule& rule, const Tensors& inputs, int data_index,
                  const Tensor& relevance_out, const ExecContext& ctx,
                  const ConstantCache& cache = {}, bool data_nonnegative = false,
                  double confined_fraction = 0.25);

// The output channels that a Conv's (one group) or Gemm's output relevance reaches, where they
// are at most `fraction` of all and the layer's weights outweigh that relevance (a classifier
// and its target); empty otherwise. apply_rule then multiplies by those filters alone.
struct ConfinedChannels {
  std::vector<int64_t> channels;  // ascending
  int weight_axis = 0;  // the weight's axis of output channels (a Gemm's B: 1 unless transB)
};
ConfinedChannels confined_channels(const Node& node, const Tensors& inputs, int data_index,
                                   const Tensor& relevance_out, double fraction);

// Per value of the plan, whether the graph guarantees it has no negative element: outputs of
// ReLU, Sigmoid and Clip with a lower bound ≥ 0, and of pooling, data movement, Add and Mul over
// such values. (NaN, which no test calls negative, may pass.)
std::vector<bool> nonnegative_values(const Graph& g, const Plan& p);

// ε-stabilised division R / (z + ε·sign(z)); 0 where the denominator is 0 (LRP-0).
Tensor stabilized_ratio(const Tensor& r, const Tensor& z, double epsilon,
                        const ExecContext& ctx = ExecContext{});

// The rules over a tensor algebra M bound to one linear layer f(x, W, b):
//   M::T                          a tensor (default-constructed = absent)
//   forward(x, w, b)              f with the data, weight and bias replaced (b absent: no bias)
//   transposed(w, s)              Wᵀs, the VJP of x ↦ f(x, w, ·) at s
//   times_transposed(a, w, s)     a · transposed(w, s) (a shaped like x)
//   positive(t), negative(t)      max(t, 0), min(t, 0)
//   ones(t), square(t)            1 and t² element-wise
//   combine(p, a, q, b)           p·a + q·b
//   mul(a, b)                     a·b
//   split_mul(x, a, c)            x⁺·a + x⁻·c
//   split_forward(x, u, v, b)     forward(x⁺, u, b) + forward(x⁻, v, none)
//   split_transposed(x, u, v, s)  split_mul(x, transposed(u, s), transposed(v, s))
//   ratio(r, z, ε, gate, sign)    stabilized_ratio, kept only where sign·gate > 0 (sign 0: all)
//   forward_ratio(x, w, b, r, ε)  ratio(r, forward(x, w, b), ε, none, 0)
//   split_forward_ratio(x, u, v, b, r, ε)  ratio(r, split_forward(x, u, v, b), ε, none, 0)
//   nonnegative(t)                true only when t is known to have no negative element (may
//                                 answer false)
//   defined(t)
// `low`/`high` are the zbox bounds shaped like x (absent for the other rules).
template <class M>
typename M::T rule_relevance(M& m, const Rule& rule, const typename M::T& x, const typename M::T& w,
                             const typename M::T& b, const typename M::T& r,
                             const typename M::T& low, const typename M::T& high) {
  using T = typename M::T;
  constexpr double kStab = 1e-6;
  const T none;
  const bool has_bias = m.defined(b);
  const auto add = [&](const T& u, const T& v) { return m.combine(1.0f, u, 1.0f, v); };
  const auto sub = [&](const T& u, const T& v) { return m.combine(1.0f, u, -1.0f, v); };
  switch (rule.kind) {
    case RuleKind::zero:
    case RuleKind::epsilon: {
      // Bach et al. 2015, "On Pixel-Wise Explanations ... by Layer-Wise Relevance Propagation".
      const double eps = rule.kind == RuleKind::zero ? 0.0 : rule.epsilon;
      const T s = m.forward_ratio(x, w, b, r, eps);
      return m.times_transposed(x, w, s);
    }
    case RuleKind::zplus: {
      // Montavon et al. 2017, "Explaining nonlinear classification decisions with deep Taylor
      // decomposition".
      const T wp = m.positive(w);
      const T bp = has_bias ? m.positive(b) : none;
      // After a ReLU the input has no negative part: x⁺ = x, and the x⁻ terms are exactly zero.
      if (m.nonnegative(x)) {
        const T s = m.forward_ratio(x, wp, bp, r, kStab);
        return m.times_transposed(x, wp, s);
      }
      const T wn = m.negative(w);
      const T s = m.split_forward_ratio(x, wp, wn, bp, r, kStab);
      return m.split_transposed(x, wp, wn, s);
    }
    case RuleKind::alpha_beta: {
      // Bach et al. 2015 (αβ rule).
      const T wp = m.positive(w), wn = m.negative(w);
      const T bp = has_bias ? m.positive(b) : none, bn = has_bias ? m.negative(b) : none;
      const T sp = m.split_forward_ratio(x, wp, wn, bp, r, kStab),
              sn = m.split_forward_ratio(x, wn, wp, bn, r, kStab);
      const T pos = m.split_transposed(x, wp, wn, sp), neg = m.split_transposed(x, wn, wp, sn);
      return m.combine(static_cast<float>(rule.alpha), pos, static_cast<float>(-rule.beta), neg);
    }
    case RuleKind::gamma: {
      // Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview" (generalised by
      // Andéol et al. 2021 for negative inputs, as in Zennit).
      const float g = static_cast<float>(rule.gamma);
      const T wg_p = m.combine(1.0f, w, g, m.positive(w)),
              wg_n = m.combine(1.0f, w, g, m.negative(w));
      const T bg_p = has_bias ? m.combine(1.0f, b, g, m.positive(b)) : none;
      const T bg_n = has_bias ? m.combine(1.0f, b, g, m.negative(b)) : none;
      const T z = m.forward(x, w, b);
      const T zp = m.split_forward(x, wg_p, wg_n, bg_p), zn = m.split_forward(x, wg_n, wg_p, bg_n);
      // The positive part of the output takes the γ-favoured positive contributions, and so on.
      const T sp = m.ratio(r, zp, kStab, z, 1), sn = m.ratio(r, zn, kStab, z, -1);
      return add(m.split_transposed(x, wg_p, wg_n, sp), m.split_transposed(x, wg_n, wg_p, sn));
    }
    case RuleKind::zbox: {
      // Montavon et al. 2017 (z^B rule for bounded inputs).
      const T wp = m.positive(w), wn = m.negative(w);
      const T bp = has_bias ? m.positive(b) : none, bn = has_bias ? m.negative(b) : none;
      T z = sub(m.forward(x, w, b), m.forward(low, wp, bp));
      z = sub(z, m.forward(high, wn, bn));
      const T s = m.ratio(r, z, kStab, none, 0);
      const T out = sub(m.times_transposed(x, w, s), m.times_transposed(low, wp, s));
      return sub(out, m.times_transposed(high, wn, s));
    }
    case RuleKind::flat:
    case RuleKind::wsquare: {
      // Flat: Lapuschkin et al. 2019, "Unmasking Clever Hans predictors"; w²: Montavon et al. 2017.
      const bool flat = rule.kind == RuleKind::flat;
      const T w2 = flat ? m.ones(w) : m.square(w);
      const T b2 = flat || !has_bias ? none : m.square(b);
      const T s = m.forward_ratio(m.ones(x), w2, b2, r, kStab);
      return m.transposed(w2, s);
    }
  }
  return none;
}

}  // namespace heatlens
