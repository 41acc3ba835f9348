// Split: cuts the input along an axis into parts given by `split` (attribute before opset
// 13, input from 13), or into equal parts (num_outputs from opset 18; the last part may be
// smaller). The gradient concatenates the parts' gradients (zeros where a part is unused).
#include <cstring>

#include "ops/op_util.h"

namespace heatlens {

namespace {

class Split : public Op {
 public:
  Split(int64_t axis, size_t outputs, bool from_input, std::vector<int64_t> split)
      : axis_(axis), outputs_(outputs), from_input_(from_input), split_(std::move(split)) {}

  std::vector<int64_t> parts(const std::vector<ValueType>& in, int& axis) const {
    const Shape& s = in[0].shape;
    axis = normalize_axis(axis_, static_cast<int>(s.size()), *this);
    std::vector<int64_t> split = split_;
    if (from_input_ && in.size() > 1 && !in[1].omitted)
      split = constant_ints(in, 1, *this, "split");
    if (split.empty()) {
      const int64_t n = static_cast<int64_t>(outputs_);
      const int64_t each = (s[axis] + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        split.push_back(std::max<int64_t>(0, std::min(each, s[axis] - i * each)));
    }
    if (split.size() != outputs_)
      error("split has " + std::to_string(split.size()) + " parts for " + std::to_string(outputs_) +
            " outputs");
    int64_t total = 0;
    for (int64_t p : split) {
      if (p < 0) error("negative split size");
      total += p;
    }
    if (total != s[axis])
      error("split sizes add up to " + std::to_string(total) + ", axis has " +
            std::to_string(s[axis]));
    return split;
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    int axis;
    std::vector<ValueType> out;
    for (int64_t p : parts(in, axis)) {
      Shape s = in[0].shape;
      s[axis] = p;
      out.push_back({in[0].dtype, s, Tensor()});
    }
    return out;
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    int axis;
    std::vector<int64_t> split = parts(value_types(in), axis);
    const Shape& s = in[0].shape();
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= s[d];
    for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
    if (in[0].dtype() != DType::f32) error("only float32 data can be split");
    Tensors out;
    int64_t offset = 0;
    for (int64_t p : split) {
      Shape ps = s;
      ps[axis] = p;
      Tensor t(ps);
      for (int64_t o = 0; o < outer && p > 0; ++o) {
        std::memcpy(t.f32() + o * p * inner, in[0].f32() + (o * s[axis] + offset) * inner,
                    p * inner * sizeof(float));
      }
      offset += p;
      out.push_back(t);
    }
    return out;
  }

  Tensors vjp(const VjpArgs& a) const override {
    int axis;
    std::vector<int64_t> split = parts(a.input_types, axis);
    const Shape& s = a.input_types[0].shape;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= s[d];
    for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
    Tensor dx(s);
    int64_t offset = 0;
    for (size_t i = 0; i < split.size(); ++i) {
      const int64_t p = split[i];
      if (i < a.grad_outputs.size() && a.grad_outputs[i].defined()) {
        for (int64_t o = 0; o < outer && p > 0; ++o) {
          std::memcpy(dx.f32() + (o * s[axis] + offset) * inner,
                      a.grad_outputs[i].f32() + o * p * inner, p * inner * sizeof(float));
        }
      }
      offset += p;
    }
    Tensors grads(a.input_types.size());
    grads[0] = dx;
    return grads;
  }

  bool vjp_uses_input(int) const override { return false; }

 private:
  int64_t axis_;
  size_t outputs_;
  bool from_input_;
  std::vector<int64_t> split_;
};

std::unique_ptr<Op> make_split(const OpBuildContext& ctx) {
  int64_t axis = ctx.attrs.get_int("axis", 0);
  if (ctx.opset >= 18 && ctx.attrs.has("num_outputs") &&
      ctx.attrs.get_int("num_outputs", 0) != static_cast<int64_t>(ctx.num_outputs)) {
    ctx.attrs.error("num_outputs differs from the number of outputs");
  }
  if (ctx.opset >= 13)
    return std::make_unique<Split>(axis, ctx.num_outputs, true, std::vector<int64_t>{});
  return std::make_unique<Split>(axis, ctx.num_outputs, false, ctx.attrs.get_ints("split"));
}

}  // namespace

void register_split(OpRegistry& r) {
  r.add({"Split", make_split, LrpRole::data_movement, true});
}

}  // namespace heatlens
