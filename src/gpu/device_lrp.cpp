#include "gpu/device_lrp.h"

#include "gpu/kernels.h"
#include "gpu/node_kernels.h"
#include "gpu/webgpu_backend.h"

namespace heatlens::gpu {

namespace {

// rule_relevance's tensor algebra (explain/lrp_rules.h) on device tensors, bound to one
// linear layer with GPU forward and input-gradient kernels.
class DeviceLayerMath {
 public:
  using T = DeviceTensor;
  DeviceLayerMath(Context& c, const Node& node, const OpDesc& desc,
                  const std::vector<ValueType>& in_types, const Shape& out_shape)
      : c_(c), node_(node), desc_(desc), in_types_(in_types), out_shape_(out_shape) {}

  T forward(const T& x, const T& w, const T& b) const {
    DeviceTensors in(in_types_.size());
    in[0] = x;
    in[1] = w;
    if (in.size() > 2 && !in_types_[2].omitted) {
      in[2] = b.defined() ? b : c_.zeros(shape_numel(in_types_[2].shape));
      in[2].shape = in_types_[2].shape;
    }
    return gpu_forward(c_, node_, desc_, in_types_, out_shape_, in, Activation())[0];
  }
  T transposed(const T& w, const T& s) const {
    DeviceTensors in(in_types_.size()), out(1);
    in[1] = w;
    std::vector<bool> need(in_types_.size(), false);
    need[0] = true;
    return gpu_backward(c_, node_, desc_, in_types_, in, out, s, need)[0];
  }
  T times_transposed(const T& a, const T& w, const T& s) const { return mul(a, transposed(w, s)); }
  T positive(const T& t) const { return positive_part(c_, t); }
  T negative(const T& t) const { return negative_part(c_, t); }
  T ones(const T& t) const { return ones_like(c_, t); }
  T square(const T& t) const { return gpu::square(c_, t); }
  T combine(float p, const T& a, float q, const T& b) const { return gpu::combine(c_, p, a, q, b); }
  T mul(const T& a, const T& b) const { return binary(c_, BinaryKind::mul, a, b, a.shape); }
  T split_mul(const T& x, const T& a, const T& c) const {
    return combine(1.0f, mul(positive(x), a), 1.0f, mul(negative(x), c));
  }
  T split_forward(const T& x, const T& u, const T& v, const T& b) const {
    return combine(1.0f, forward(positive(x), u, b), 1.0f, forward(negative(x), v, T()));
  }
  T forward_ratio(const T& x, const T& w, const T& b, const T& r, double eps) const {
    return ratio(r, forward(x, w, b), eps, T(), 0);
  }
  T split_forward_ratio(const T& x, const T& u, const T& v, const T& b, const T& r,
                        double eps) const {
    return ratio(r, split_forward(x, u, v, b), eps, T(), 0);
  }
  T split_transposed(const T& x, const T& u, const T& v, const T& s) const {
    return split_mul(x, transposed(u, s), transposed(v, s));
  }
  T ratio(const T& r, const T& z, double eps, const T& gate, int sign) const {
    return stabilized_ratio(c_, r, z, static_cast<float>(eps), gate, sign);
  }
  // Reading the tensor back to find out would stall the pass; the rule computes the terms.
  static bool nonnegative(const T&) { return false; }  // would cost a readback
  static bool defined(const T& t) { return t.defined(); }

 private:
  Context& c_;
  const Node& node_;
  const OpDesc& desc_;
  const std::vector<ValueType>& in_types_;
  const Shape& out_shape_;
};

// The pass of propagate_relevance over a forward the WebGPU backend recorded.
class DevicePass {
 public:
  using T = DeviceTensor;
  DevicePass(Context& c, WebGpuBackend& backend, Engine& engine, const Tape& tape)
      : c_(c), backend_(backend), engine_(engine), tape_(tape), plan_(*tape.plan) {}

  static bool defined(const T& t) { return t.defined(); }
  T seed(const Shape& shape, int64_t class_index, float value) const {
    Tensor t(shape);
    t.f32()[class_index] = value;
    return c_.upload(t);
  }
  T linear(const Node& node, const Rule& rule, int data, const T& r_out) {
    const std::vector<ValueType> in_types = node_input_types(node, plan_);
    const std::vector<ValueType> out_types = node_output_types(node, plan_);
    std::vector<bool> need(node.inputs.size(), false);
    need[static_cast<size_t>(data)] = true;
    OpDesc desc;
    if (data == 0 && gpu_forward_supported(node, in_types, out_types, desc) &&
        gpu_backward_supported(node, desc, in_types, need)) {
      DeviceLayerMath m(c_, node, desc, in_types, out_types[0].shape);
      const T x = value(node.inputs[0]), w = value(node.inputs[1]);
      const bool bias = node.inputs.size() > 2 && node.inputs[2] >= 0;
      const T b = bias ? value(node.inputs[2]) : T();
      T low, high;
      if (rule.kind == RuleKind::zbox) {
        low = c_.upload(rule.low.reshaped(x.shape));
        high = c_.upload(rule.high.reshaped(x.shape));
      }
      backend_.count_node(node.op_type, true);
      return rule_relevance(m, rule, x, w, b, r_out, low, high);
    }
    // The CPU applies the rule to host copies.
    const Tensors in = backend_.host_copies(tape_, node.inputs);
    const Tensor r = c_.download(r_out);
    backend_.count_node(node.op_type + " (LRP rule)", false);
    return c_.upload(apply_rule(node, rule, in, data, r, engine_.exec_context()));
  }
  DeviceTensors vjp(const Node& node, const DeviceTensors& r_out,
                    const std::vector<bool>& dynamic) {
    return backend_.node_vjp(engine_, tape_, node, r_out, dynamic);
  }
  T value(int id) { return backend_.device_value(tape_, id); }
  T ratio(const T& r, const T& z, double eps) const {
    return stabilized_ratio(c_, r, z, static_cast<float>(eps), T(), 0);
  }
  T mul(const T& a, const T& b) const { return binary(c_, BinaryKind::mul, a, b, a.shape); }
  DeviceTensors sum_shares(const T& r, const T& z, double eps, const DeviceTensors& xs) const {
    const T s = ratio(r, z, eps);
    DeviceTensors out;
    for (const T& x : xs) out.push_back(mul(x, s));
    return out;
  }
  T add(const T& a, const T& b) const { return combine(c_, 1.0f, a, 1.0f, b); }
  T zeros(const Shape& s) const {
    T z = c_.zeros(shape_numel(s));
    z.shape = s;
    return z;
  }
  void layer_sum(const std::string& name, const T& r) {
    names_.push_back(name);
    sums_.push_back(sum_to(c_, r, Shape{1}, 1.0f));
  }
  // The input relevance and the layer sums, in one readback.
  Tensor to_host(const T& t) { return read_back(t); }
  std::vector<std::pair<std::string, double>> layer_sums() {
    if (!sums_.empty()) read_back(T());
    return host_sums_;
  }

 private:
  Context& c_;
  WebGpuBackend& backend_;
  Engine& engine_;
  const Tape& tape_;
  const Plan& plan_;
  std::vector<std::string> names_;
  DeviceTensors sums_;
  std::vector<std::pair<std::string, double>> host_sums_;

  // Downloads the pending layer sums (and `extra`, when given, which it returns).
  Tensor read_back(const T& extra) {
    DeviceTensors all = sums_;
    if (extra.defined()) all.push_back(extra);
    Tensors got = c_.download(all);
    for (size_t k = 0; k < names_.size(); ++k) host_sums_.push_back({names_[k], got[k].f32()[0]});
    names_.clear();
    sums_.clear();
    return extra.defined() ? got.back() : Tensor();
  }
};

}  // namespace

bool device_relevance_pass(Engine& engine, const ForwardResult& forward, int logits_id,
                           int64_t class_index, const LrpSetup& setup, Progress& progress,
                           Propagation& out) {
  Backend* backend = forward.tape ? forward.tape->backend : nullptr;
  if (!backend || backend->name() != "webgpu") return false;
  const Graph& g = engine.graph();
  DevicePass pass(Context::get(), *static_cast<WebGpuBackend*>(backend), engine, *forward.tape);
  out = propagate_relevance(pass, g, *forward.tape->plan, logits_id,
                            forward.captured.at(g.values[logits_id].name), class_index, setup,
                            progress);
  return true;
}

}  // namespace heatlens::gpu
