#include "explain/lrp_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "core/error.h"
#include "explain/host_tensor_math.h"

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

Tensor stabilized_ratio(const Tensor& r, const Tensor& z, double epsilon, const ExecContext& ctx) {
  const float eps = static_cast<float>(epsilon);  // in float, as Zennit's stabilizer
  return map_chunks(
      r, z,
      [eps](const float* a, const float* b, int64_t n, float* o) {
        stabilized_divide(a, b, eps, n, o);
      },
      ctx);
}

namespace {

// rule_relevance's tensor algebra on host tensors, bound to one layer (its op runs forward and
// transposed with the data, weight and bias replaced). What it derives from the layer's
// constants alone goes through the cache, under a key naming the transform and its sources.
class HostLayerMath {
 public:
  using T = Tensor;
  HostLayerMath(const Node& node, const Tensors& inputs, int data_index, const ExecContext& ctx,
                const ConstantCache& cache, bool data_nonnegative)
      : node_(node),
        inputs_(inputs),
        data_(data_index),
        weight_(data_index == 0 ? 1 : 0),
        data_nonnegative_(data_nonnegative),
        ctx_(ctx),
        cache_(cache) {
    bias_ = node.inputs.size() > 2 && node.inputs[2] >= 0 ? 2 : -1;
    if (cache_) {
      // The constants themselves are keyed by their storage, which lives as long as the model.
      for (int k : {weight_, bias_}) {
        if (k >= 0) keys_[inputs_[k].f32()] = address_key(inputs_[k].f32());
      }
    }
  }
  const Tensor& data() const { return inputs_[data_]; }
  const Tensor& weight() const { return inputs_[weight_]; }
  Tensor bias() const { return bias_ >= 0 ? inputs_[bias_] : Tensor(); }

  Tensor forward(const Tensor& x, const Tensor& w, const Tensor& b) const {
    return node_.op->forward(with(x, w, b), ctx_)[0];
  }
  // `data_shape`: the data input's shape, when not the layer's own (a stacked product).
  Tensor transposed(const Tensor& w, const Tensor& s, const Shape* data_shape = nullptr) const {
    return vjp_of_data(w, s, data_shape, nullptr);
  }
  // a · Wᵀs: multiplied as the op's kernels write Wᵀs where they can (Conv), apart otherwise.
  Tensor times_transposed(const Tensor& a, const Tensor& w, const Tensor& s) const {
    const Tensor fused = vjp_of_data(w, s, nullptr, &a);
    return fused.defined() ? fused : mul(a, transposed(w, s));
  }
  // The op's VJP at s for the data input (Wᵀs), or, with `factor`, its scaled_input_gradient
  // (undefined where it has none): what transposed and times_transposed both ask the op for.
  Tensor vjp_of_data(const Tensor& w, const Tensor& s, const Shape* data_shape,
                     const Tensor* factor) const {
    Tensors in = with(data(), w, Tensor());
    std::vector<ValueType> types;
    for (const Tensor& t : in) {
      ValueType v{t.defined() ? t.dtype() : DType::f32, t.defined() ? t.shape() : Shape{},
                  Tensor()};
      v.omitted = !t.defined();
      types.push_back(v);
    }
    if (data_shape) {
      types[data_].shape = *data_shape;
      in[data_] = Tensor();  // the input gradient reads only the weights
    }
    std::vector<bool> need(in.size(), false);
    need[data_] = true;
    Tensors outputs(1), grads = {s};
    const VjpArgs args{types, in, outputs, grads, need, ctx_};
    if (factor) return node_.op->scaled_input_gradient(args, data_, *factor);
    return node_.op->vjp(args)[data_];
  }
  // A convolution of one group over one image takes x⁺ and x⁻ as the two halves of one input
  // of twice the channels, against [u | v] stacked along input channels: one product where there
  // were two and their sum (z⁺ of a signed input: ResNet's stem, MobileNetV2's expansions), and
  // one transposed product whose halves are uᵀs and vᵀs.
  bool stacks_signs() const {
    const Tensor& x = data();
    return node_.op_type == "Conv" && data_ == 0 && x.rank() >= 3 && x.dim(0) == 1 &&
           weight().rank() == x.rank() && weight().dim(1) == x.dim(1);
  }
  Tensor split_forward(const Tensor& x, const Tensor& u, const Tensor& v, const Tensor& b) {
    const Tensor& halves = sign_halves(x);
    if (!stacks_signs())
      return combine(1.0f, forward(halves.view(0, x.shape()), u, b), 1.0f,
                     forward(halves.view(x.numel(), x.shape()), v, Tensor()));
    return forward(halves.reshaped(doubled_channels(x)), stacked(u, v), b);
  }
  // A convolution divides as each output tile completes (Activation::ratio); other layers in a
  // pass of their own.
  Tensor forward_ratio(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r,
                       double epsilon) const {
    if (node_.op_type != "Conv" || data_ != 0)
      return stabilized_ratio(r, forward(x, w, b), epsilon, ctx_);
    return fused_ratio(x, w, b, r, epsilon);
  }
  Tensor split_forward_ratio(const Tensor& x, const Tensor& u, const Tensor& v, const Tensor& b,
                             const Tensor& r, double epsilon) {
    if (!stacks_signs()) return stabilized_ratio(r, split_forward(x, u, v, b), epsilon, ctx_);
    return fused_ratio(sign_halves(x).reshaped(doubled_channels(x)), stacked(u, v), b, r, epsilon);
  }
  Tensor split_transposed(const Tensor& x, const Tensor& u, const Tensor& v, const Tensor& s) {
    if (!stacks_signs()) return split_mul(x, transposed(u, s), transposed(v, s));
    const Shape doubled = doubled_channels(x);
    const Tensor t = transposed(stacked(u, v), s, &doubled);
    return split_mul(x, t.view(0, x.shape()), t.view(x.numel(), x.shape()));
  }
  Tensor positive(const Tensor& t) {
    return derived("pos", {&t}, [&] { return map(t, [](float v) { return v > 0 ? v : 0.0f; }); });
  }
  Tensor negative(const Tensor& t) {
    return derived("neg", {&t}, [&] { return map(t, [](float v) { return v < 0 ? v : 0.0f; }); });
  }
  Tensor ones(const Tensor& t) {
    return derived("ones", {&t}, [&] { return map(t, [](float) { return 1.0f; }); });
  }
  Tensor square(const Tensor& t) {
    return derived("sq", {&t}, [&] { return map(t, [](float v) { return v * v; }); });
  }
  Tensor combine(float p, const Tensor& a, float q, const Tensor& b) {
    // The coefficients exactly (hexadecimal), so that γ = 1e-7 and 2e-7 are different keys.
    char op[64];
    std::snprintf(op, sizeof op, "comb%a,%a", static_cast<double>(p), static_cast<double>(q));
    return derived(op, {&a, &b}, [&] {
      return map_chunks(
          a, b,
          [p, q](const float* u, const float* v, int64_t n, float* o) {
            combine_floats(p, u, q, v, n, o);
          },
          ctx_);
    });
  }
  Tensor mul(const Tensor& a, const Tensor& b) const { return multiply(a, b, ctx_); }
  Tensor split_mul(const Tensor& x, const Tensor& a, const Tensor& c) const {
    return split_product(x, a, c, ctx_);
  }
  Tensor ratio(const Tensor& r, const Tensor& z, double epsilon, const Tensor& gate,
               int sign) const {
    if (sign == 0) return stabilized_ratio(r, z, epsilon, ctx_);
    Tensor s = stabilized_ratio(r, z, epsilon, ctx_);
    return map_elements(
        s, gate, [sign](float v, float g) { return sign * g > 0 ? v : 0.0f; }, ctx_);
  }
  bool nonnegative(const Tensor& t) const {
    return (data_nonnegative_ && t.f32() == data().f32()) || !any_negative(t, ctx_);
  }
  static bool defined(const Tensor& t) { return t.defined(); }

 private:
  template <class F>
  Tensor map(const Tensor& t, F f) const {
    return map_elements(t, f, ctx_);
  }
  Tensor fused_ratio(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& r,
                     double epsilon) const {
    const Activation ratio = Activation::ratio(r.f32(), static_cast<float>(epsilon));
    return node_.op->forward_fused(with(x, w, b), ctx_, ratio)[0];
  }
  static Shape doubled_channels(const Tensor& x) {
    Shape doubled = x.shape();
    doubled[1] *= 2;
    return doubled;
  }
  // x⁺ then x⁻, flat (for one image, [x⁺; x⁻] along channels), made once per layer: αβ and γ
  // take two signed products of the same input.
  const Tensor& sign_halves(const Tensor& x) {
    if (halves_.defined() && halves_source_ == x.f32()) return halves_;
    const int64_t n = x.numel();
    halves_ = Tensor::uninitialized({2 * n});
    halves_source_ = x.f32();
    const float* px = x.f32();
    float* o = halves_.f32();
    ctx_.parallel_for(
        n,
        [&](int64_t lo, int64_t hi) {
          for (int64_t i = lo; i < hi; ++i) {
            o[i] = px[i] > 0 ? px[i] : 0.0f;
            o[n + i] = px[i] < 0 ? px[i] : 0.0f;
          }
        },
        kElementChunk);
    return halves_;
  }
  // [u | v]: each output channel's u then v filter, as one filter over twice the channels.
  Tensor stacked(const Tensor& u, const Tensor& v) {
    return derived("stack", {&u, &v}, [&] {
      Shape doubled = u.shape();
      doubled[1] *= 2;
      Tensor out = Tensor::uninitialized(doubled);
      const int64_t per = u.numel() / u.dim(0);
      for (int64_t o = 0; o < u.dim(0); ++o) {
        std::copy(u.f32() + o * per, u.f32() + (o + 1) * per, out.f32() + 2 * o * per);
        std::copy(v.f32() + o * per, v.f32() + (o + 1) * per, out.f32() + (2 * o + 1) * per);
      }
      return out;
    });
  }
  static std::string address_key(const void* p) {
    return std::to_string(reinterpret_cast<uintptr_t>(p));
  }
  // `make`'s result, from the cache when every source is a constant or derived from one.
  Tensor derived(const std::string& op, std::initializer_list<const Tensor*> sources,
                 const std::function<Tensor()>& make) {
    std::string key = op + "(";
    for (const Tensor* t : sources) {
      auto it = t->defined() ? keys_.find(t->f32()) : keys_.end();
      if (it == keys_.end()) return make();
      key += it->second + ";";
    }
    key += ")";
    Tensor out = cache_(key, make);
    keys_[out.f32()] = key;
    return out;
  }
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
  bool data_nonnegative_;  // the data input is known to have no negative element
  const ExecContext& ctx_;
  const ConstantCache& cache_;
  std::map<const float*, std::string> keys_;  // constant-derived tensors by storage
  Tensor halves_;                             // sign_halves of the tensor at halves_source_
  const float* halves_source_ = nullptr;
};

Tensor rule_on_host(const Node& node, const Rule& rule, const Tensors& inputs, int data_index,
                    const Tensor& r, const ExecContext& ctx, const ConstantCache& cache,
                    bool data_nonnegative) {
  HostLayerMath m(node, inputs, data_index, ctx, cache, data_nonnegative);
  const Tensor& x = m.data();
  Tensor low, high;
  if (rule.kind == RuleKind::zbox) {
    HEATLENS_CHECK(
        rule.low.defined() && rule.low.numel() == x.numel(),
        node.label << ": the zbox rule needs low/high bounds shaped like the layer input");
    low = rule.low.reshaped(x.shape());
    high = rule.high.reshaped(x.shape());
  }
  return rule_relevance(m, rule, x, m.weight(), m.bias(), r, low, high);
}

// Whether any of n floats is not ±0, a block of 64 at a time (each block's test is one
// vectorised OR of the bits; relevance maps often start with long runs of zeros).
bool any_nonzero(const float* x, int64_t n) {
  constexpr int64_t kBlock = 64;
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    uint32_t bits = 0;
    for (int64_t j = 0; j < kBlock; ++j) {
      uint32_t b;
      std::memcpy(&b, x + i + j, sizeof b);
      bits |= b << 1;  // the sign bit dropped: −0 is zero
    }
    if (bits != 0) return true;
  }
  for (; i < n; ++i) {
    if (x[i] != 0.0f) return true;
  }
  return false;
}

// `t` with only `keep`'s indices along `axis`, in order.
Tensor pick(const Tensor& t, int axis, const std::vector<int64_t>& keep) {
  Shape shape = t.shape();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t n = shape[axis];
  shape[axis] = static_cast<int64_t>(keep.size());
  Tensor out = Tensor::uninitialized(shape);
  float* o = out.f32();
  for (int64_t a = 0; a < outer; ++a) {
    for (int64_t c : keep) {
      const float* src = t.f32() + (a * n + c) * inner;
      o = std::copy(src, src + inner, o);
    }
  }
  return out;
}

}  // namespace

ConfinedChannels confined_channels(const Node& node, const Tensors& inputs, int data_index,
                                   const Tensor& r, double fraction) {
  ConfinedChannels none, found;
  const bool conv = node.op_type == "Conv", gemm = node.op_type == "Gemm";
  if ((!conv && !gemm) || data_index != 0 || inputs.size() < 2 || r.rank() < 2) return none;
  const Tensor& x = inputs[0];
  const Tensor& w = inputs[1];
  const int64_t channels = r.dim(1);
  if (conv && (w.rank() != r.rank() || w.dim(0) != channels || w.dim(1) != x.dim(1)))
    return none;  // grouped
  // A Gemm's B is [N, K] (transB) or [K, N]; a square one says nothing, so it stays whole.
  if (gemm) {
    if (w.rank() != 2 || w.dim(0) == w.dim(1)) return none;
    if (w.dim(1) == channels)
      found.weight_axis = 1;
    else if (w.dim(0) != channels)
      return none;
  }
  // Only where the weights outweigh the output relevance (a classifier's): elsewhere the
  // look for reached channels would read much of a large map for filters that are cheap.
  if (r.numel() > w.numel()) return none;
  const Tensor bias = inputs.size() > 2 ? inputs[2] : Tensor();
  if (bias.defined() &&
      (bias.rank() == 0 || bias.numel() != channels || bias.shape().back() != channels))
    return none;
  // The channels reached, looked for plane by plane until more than the fraction are.
  int64_t inner = 1;
  for (int d = 2; d < r.rank(); ++d) inner *= r.dim(d);
  const auto most = static_cast<size_t>(fraction * static_cast<double>(channels));
  std::vector<bool> reached(static_cast<size_t>(channels), false);
  std::vector<int64_t>& keep = found.channels;
  for (int64_t a = 0; a < r.dim(0) && keep.size() <= most; ++a) {
    for (int64_t c = 0; c < channels && keep.size() <= most; ++c) {
      const float* plane = r.f32() + (a * channels + c) * inner;
      if (!reached[static_cast<size_t>(c)] && any_nonzero(plane, inner)) {
        reached[static_cast<size_t>(c)] = true;
        keep.push_back(c);
      }
    }
  }
  if (keep.empty() || keep.size() > most) return none;
  std::sort(keep.begin(), keep.end());
  return found;
}

Tensor apply_rule(const Node& node, const Rule& rule, const Tensors& inputs, int data_index,
                  const Tensor& r, const ExecContext& ctx, const ConstantCache& cache,
                  bool data_nonnegative, double confined_fraction) {
  // Every rule's shares of channels without relevance are exactly zero (each is their
  // relevance times something finite), so a classifier's target channels' filters alone give
  // the whole layer's result: SqueezeNet's classifier (a 1×1 Conv of 1000 filters) had
  // multiplied all of them, twice.
  const ConfinedChannels confined =
      confined_channels(node, inputs, data_index, r, confined_fraction);
  if (confined.channels.empty())
    return rule_on_host(node, rule, inputs, data_index, r, ctx, cache, data_nonnegative);
  Tensors picked = inputs;
  picked[1] = pick(inputs[1], confined.weight_axis, confined.channels);
  if (inputs.size() > 2 && inputs[2].defined())
    picked[2] = pick(inputs[2], inputs[2].rank() - 1, confined.channels);
  // The picked filters' modified copies are not the model's constants: no cache.
  return rule_on_host(node, rule, picked, data_index, pick(r, 1, confined.channels), ctx, {},
                      data_nonnegative);
}

std::vector<bool> nonnegative_values(const Graph& g, const Plan& p) {
  static const std::set<std::string> keeps_sign = {
      "MaxPool",       "AveragePool", "GlobalAveragePool",
      "GlobalMaxPool", "Flatten",     "Reshape",
      "Identity",      "Dropout",     "Squeeze",
      "Unsqueeze",     "Transpose",   "Concat",
      "Slice",         "Split",       "Add",
      "Mul",           "ReduceMean",  "ReduceSum",
      "ReduceMax"};
  std::vector<bool> nonneg(g.values.size(), false);
  for (int n : p.steps) {
    const Node& node = g.nodes[n];
    const std::vector<ValueType> types = node_input_types(node, p);
    Activation act;
    bool out = node.op->as_activation(types, act) &&
               (act.kind == Activation::Kind::relu || act.kind == Activation::Kind::sigmoid ||
                (act.kind == Activation::Kind::clip && act.lo >= 0.0f));
    if (!out && keeps_sign.count(node.op_type)) {
      // Every floating-point input (data, not shapes or indices) must be known nonnegative.
      out = true;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        const int id = node.inputs[k];
        if (id >= 0 && types[k].dtype == DType::f32 && !nonneg[id]) out = false;
      }
    }
    for (int id : node.outputs) {
      if (id >= 0) nonneg[id] = out;
    }
  }
  return nonneg;
}

}  // namespace heatlens
