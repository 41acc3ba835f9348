#include "explain/lrp_rules.h"

#include <cmath>

#include "core/error.h"

namespace heatlens {

const std::vector<std::string>& rule_names() {
  static const std::vector<std::string> names = {"0",     "epsilon", "gamma", "alpha-beta",
                                                 "zplus", "zbox",    "flat",  "wsquare"};
  return names;
}

RuleKind parse_rule_kind(const std::string& name) {
  static const RuleKind kinds[] = {RuleKind::zero,       RuleKind::epsilon, RuleKind::gamma,
                                   RuleKind::alpha_beta, RuleKind::zplus,   RuleKind::zbox,
                                   RuleKind::flat,       RuleKind::wsquare};
  for (size_t i = 0; i < rule_names().size(); ++i) {
    if (rule_names()[i] == name) return kinds[i];
  }
  fail("unknown LRP rule '" + name +
       "' (0, epsilon, gamma, alpha-beta, zplus, zbox, flat, wsquare)");
}

std::string rule_label(const Rule& r) {
  switch (r.kind) {
    case RuleKind::zero:
      return "0";
    case RuleKind::epsilon:
      return "epsilon(" + std::to_string(r.epsilon) + ")";
    case RuleKind::gamma:
      return "gamma(" + std::to_string(r.gamma) + ")";
    case RuleKind::alpha_beta:
      return "alpha-beta(" + std::to_string(r.alpha) + ", " + std::to_string(r.beta) + ")";
    case RuleKind::zplus:
      return "zplus";
    case RuleKind::zbox:
      return "zbox";
    case RuleKind::flat:
      return "flat";
    case RuleKind::wsquare:
      return "wsquare";
  }
  return "?";
}

int linear_data_input(const Node& node, const std::vector<bool>& is_constant) {
  // An absent input (no bias) counts as constant.
  const auto constant = [&](size_t k) {
    return k >= node.inputs.size() || node.inputs[k] < 0 || is_constant[node.inputs[k]];
  };
  if (node.op_type == "Conv" || node.op_type == "ConvTranspose") {
    return !constant(0) && constant(1) && constant(2) ? 0 : -1;
  }
  if (node.op_type == "Gemm" || node.op_type == "MatMul") {
    if (!constant(0) && constant(1) && constant(2)) return 0;
    if (constant(0) && !constant(1) && constant(2)) return 1;
  }
  return -1;
}

Tensor stabilized_ratio(const Tensor& r, const Tensor& z, double epsilon) {
  Tensor out(r.shape());
  const float* rp = r.f32();
  const float* zp = z.f32();
  float* o = out.f32();
  for (int64_t i = 0; i < r.numel(); ++i) {
    const double zi = zp[i];
    const double d = zi + epsilon * (zi >= 0 ? 1.0 : -1.0);
    o[i] = d == 0 ? 0.0f : static_cast<float>(rp[i] / d);
  }
  return out;
}

namespace {

enum class Part { all, positive, negative };

Tensor part(const Tensor& t, Part p) {
  if (p == Part::all) return t;
  Tensor out(t.shape());
  const float* x = t.f32();
  float* o = out.f32();
  for (int64_t i = 0; i < t.numel(); ++i)
    o[i] = p == Part::positive ? (x[i] > 0 ? x[i] : 0.0f) : (x[i] < 0 ? x[i] : 0.0f);
  return out;
}

bool all_zero(const Tensor& t) {
  const float* x = t.f32();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (x[i] != 0.0f) return false;
  return true;
}

Tensor map(const Tensor& t, float (*f)(float, float), float arg) {
  Tensor out(t.shape());
  const float* x = t.f32();
  float* o = out.f32();
  for (int64_t i = 0; i < t.numel(); ++i) o[i] = f(x[i], arg);
  return out;
}

Tensor add(const Tensor& a, const Tensor& b, float sb = 1.0f) {
  Tensor out(a.shape());
  const float* x = a.f32();
  const float* y = b.f32();
  float* o = out.f32();
  for (int64_t i = 0; i < a.numel(); ++i) o[i] = x[i] + sb * y[i];
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out(a.shape());
  const float* x = a.f32();
  const float* y = b.f32();
  float* o = out.f32();
  for (int64_t i = 0; i < a.numel(); ++i) o[i] = x[i] * y[i];
  return out;
}

// The layer with its data, weight and bias replaced: forward and transposed (VJP) products.
class LinearLayer {
 public:
  LinearLayer(const Node& node, const Tensors& inputs, int data_index, const ExecContext& ctx)
      : node_(node),
        inputs_(inputs),
        data_(data_index),
        weight_(data_index == 0 ? 1 : 0),
        ctx_(ctx) {
    bias_ = node.inputs.size() > 2 && node.inputs[2] >= 0 ? 2 : -1;
  }
  const Tensor& data() const { return inputs_[data_]; }
  const Tensor& weight() const { return inputs_[weight_]; }
  Tensor bias() const { return bias_ >= 0 ? inputs_[bias_] : Tensor(); }

  // f(x', W', b') with b' undefined meaning "no bias" (zeros).
  Tensor forward(const Tensor& x, const Tensor& w, const Tensor& b) const {
    return node_.op->forward(with(x, w, b), ctx_)[0];
  }
  // W'ᵀ s: the VJP of x ↦ f(x, W', ·) at s.
  Tensor transposed(const Tensor& w, const Tensor& s) const {
    Tensors in = with(data(), w, Tensor());
    std::vector<ValueType> types;
    for (const Tensor& t : in) {
      ValueType v{t.defined() ? t.dtype() : DType::f32, t.defined() ? t.shape() : Shape{},
                  Tensor()};
      v.omitted = !t.defined();
      types.push_back(v);
    }
    std::vector<bool> need(in.size(), false);
    need[data_] = true;
    Tensors outputs(1), grads = {s};
    return node_.op->vjp(VjpArgs{types, in, outputs, grads, need, ctx_})[data_];
  }

 private:
  Tensors with(const Tensor& x, const Tensor& w, const Tensor& b) const {
    Tensors in = inputs_;
    in[data_] = x;
    in[weight_] = w;
    if (bias_ >= 0) in[bias_] = b.defined() ? b : Tensor(inputs_[bias_].shape());
    return in;
  }
  const Node& node_;
  const Tensors& inputs_;
  int data_, weight_, bias_;
  const ExecContext& ctx_;
};

float ones(float, float) {
  return 1.0f;
}
float square(float w, float) {
  return w * w;
}

}  // namespace

Tensor apply_rule(const Node& node, const Rule& rule, const Tensors& inputs, int data_index,
                  const Tensor& r, const ExecContext& ctx) {
  LinearLayer L(node, inputs, data_index, ctx);
  const Tensor& x = L.data();
  const Tensor& w = L.weight();
  const Tensor b = L.bias();
  const Tensor xp = part(x, Part::positive), xn = part(x, Part::negative);
  const Tensor wp = part(w, Part::positive), wn = part(w, Part::negative);
  const Tensor bp = b.defined() ? part(b, Part::positive) : Tensor();
  const Tensor bn = b.defined() ? part(b, Part::negative) : Tensor();
  constexpr double kStab = 1e-6;
  switch (rule.kind) {
    case RuleKind::zero:
    case RuleKind::epsilon: {
      // Bach et al. 2015, "On Pixel-Wise Explanations ... by Layer-Wise Relevance Propagation".
      const Tensor s =
          stabilized_ratio(r, L.forward(x, w, b), rule.kind == RuleKind::zero ? 0.0 : rule.epsilon);
      return mul(x, L.transposed(w, s));
    }
    case RuleKind::zplus: {
      // Montavon et al. 2017, "Explaining nonlinear classification decisions with deep Taylor
      // decomposition".
      // After a ReLU the input has no negative part: its terms are exactly zero, so skip them.
      if (all_zero(xn)) {
        const Tensor s = stabilized_ratio(r, L.forward(xp, wp, bp), kStab);
        return mul(xp, L.transposed(wp, s));
      }
      const Tensor z = add(L.forward(xp, wp, bp), L.forward(xn, wn, Tensor()));
      const Tensor s = stabilized_ratio(r, z, kStab);
      return add(mul(xp, L.transposed(wp, s)), mul(xn, L.transposed(wn, s)));
    }
    case RuleKind::alpha_beta: {
      // Bach et al. 2015 (αβ rule).
      const Tensor zp = add(L.forward(xp, wp, bp), L.forward(xn, wn, Tensor()));
      const Tensor zn = add(L.forward(xp, wn, bn), L.forward(xn, wp, Tensor()));
      const Tensor sp = stabilized_ratio(r, zp, kStab), sn = stabilized_ratio(r, zn, kStab);
      const Tensor pos = add(mul(xp, L.transposed(wp, sp)), mul(xn, L.transposed(wn, sp)));
      const Tensor neg = add(mul(xp, L.transposed(wn, sn)), mul(xn, L.transposed(wp, sn)));
      Tensor out(x.shape());
      for (int64_t i = 0; i < out.numel(); ++i) {
        out.f32()[i] = static_cast<float>(rule.alpha * pos.f32()[i] - rule.beta * neg.f32()[i]);
      }
      return out;
    }
    case RuleKind::gamma: {
      // Montavon et al. 2019, "Layer-Wise Relevance Propagation: An Overview" (generalised by
      // Andéol et al. 2021 for negative inputs, as in Zennit).
      const float g = static_cast<float>(rule.gamma);
      const Tensor wg_p = add(w, wp, g), wg_n = add(w, wn, g);
      const Tensor bg_p = b.defined() ? add(b, bp, g) : Tensor(),
                   bg_n = b.defined() ? add(b, bn, g) : Tensor();
      const Tensor z = L.forward(x, w, b);
      const Tensor zp = add(L.forward(xp, wg_p, bg_p), L.forward(xn, wg_n, Tensor()));
      const Tensor zn = add(L.forward(xp, wg_n, bg_n), L.forward(xn, wg_p, Tensor()));
      Tensor sp = stabilized_ratio(r, zp, kStab), sn = stabilized_ratio(r, zn, kStab);
      for (int64_t i = 0; i < z.numel(); ++i) {
        if (!(z.f32()[i] > 0)) sp.f32()[i] = 0;
        if (!(z.f32()[i] < 0)) sn.f32()[i] = 0;
      }
      Tensor out = add(mul(xp, L.transposed(wg_p, sp)), mul(xn, L.transposed(wg_n, sp)));
      out = add(out, mul(xp, L.transposed(wg_n, sn)));
      return add(out, mul(xn, L.transposed(wg_p, sn)));
    }
    case RuleKind::zbox: {
      // Montavon et al. 2017 (z^B rule for bounded inputs).
      HEATLENS_CHECK(
          rule.low.defined() && rule.low.numel() == x.numel(),
          node.label << ": the zbox rule needs low/high bounds shaped like the layer input");
      const Tensor lo = rule.low.reshaped(x.shape()), hi = rule.high.reshaped(x.shape());
      Tensor z = add(L.forward(x, w, b), L.forward(lo, wp, bp), -1.0f);
      z = add(z, L.forward(hi, wn, bn), -1.0f);
      const Tensor s = stabilized_ratio(r, z, kStab);
      Tensor out = add(mul(x, L.transposed(w, s)), mul(lo, L.transposed(wp, s)), -1.0f);
      return add(out, mul(hi, L.transposed(wn, s)), -1.0f);
    }
    case RuleKind::flat:
    case RuleKind::wsquare: {
      // Flat: Lapuschkin et al. 2019, "Unmasking Clever Hans predictors"; w²: Montavon et al. 2017.
      const bool flat = rule.kind == RuleKind::flat;
      const Tensor w2 = map(w, flat ? ones : square, 0.0f);
      const Tensor b2 = flat || !b.defined() ? Tensor() : map(b, square, 0.0f);
      const Tensor unit = map(x, ones, 0.0f);
      const Tensor s = stabilized_ratio(r, L.forward(unit, w2, b2), kStab);
      return L.transposed(w2, s);
    }
  }
  fail("unknown rule");
}

}  // namespace heatlens
