// Cast between float32 and the integer types heatlens holds as int64. Float → integer
// truncates toward zero; gradients pass only through float → float casts.
#include <cmath>

#include "onnx/onnx_model.h"
#include "ops/op_util.h"

namespace heatlens {

namespace {

class Cast : public Op {
 public:
  explicit Cast(DType to) : to_(to) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    return {{to_, in[0].shape, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    const Tensor& x = in[0];
    if (x.dtype() == to_) return {x};
    if (to_ == DType::f32) return {x.as_f32()};
    Tensor out(x.shape(), DType::i64);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float v = x.f32()[i];
      if (!std::isfinite(v)) error("cannot cast a non-finite value to an integer");
      out.i64()[i] = static_cast<int64_t>(v);
    }
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    if (to_ != DType::f32 || a.input_types[0].dtype != DType::f32) return {Tensor()};
    return {a.grad_outputs[0]};
  }

  bool vjp_uses_input(int) const override { return false; }

 private:
  DType to_;
};

std::unique_ptr<Op> make_cast(const OpBuildContext& ctx) {
  const int64_t to = ctx.attrs.require_int("to");
  ctx.attrs.get_int("saturate", 1);  // opset 19 float8 option; irrelevant for these types
  using onnx::DataType;
  switch (static_cast<DataType>(to)) {
    case DataType::float32:
      return std::make_unique<Cast>(DType::f32);
    case DataType::int64:
    case DataType::int32:
      return std::make_unique<Cast>(DType::i64);
    default:
      ctx.attrs.error(std::string("casting to ") + onnx::data_type_name(static_cast<int32_t>(to)) +
                      " is not supported (float32, int32 and int64 only)");
  }
}

}  // namespace

void register_cast(OpRegistry& r) {
  r.add({"Cast", make_cast, LrpRole::data_movement, true});
}

}  // namespace heatlens
