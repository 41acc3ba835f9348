// Constant: a tensor given as an attribute (value, or value_float(s)/value_int(s) from opset
// 12). Sparse and string constants are refused.
#include "ops/op_util.h"

namespace heatlens {

namespace {

class Constant : public Op {
 public:
  explicit Constant(Tensor value) : value_(std::move(value)) {}
  std::vector<ValueType> infer(const std::vector<ValueType>&) const override {
    return {{value_.dtype(), value_.shape(), value_}};
  }
  Tensors forward(const Tensors&, const ExecContext&) const override { return {value_}; }
  bool has_vjp() const override { return false; }

 private:
  Tensor value_;
};

std::unique_ptr<Op> make_constant(const OpBuildContext& ctx) {
  const NodeAttributes& a = ctx.attrs;
  if (a.has("sparse_value") || a.has("value_string") || a.has("value_strings")) {
    a.error("sparse and string constants are not supported");
  }
  if (a.has("value")) return std::make_unique<Constant>(a.require_tensor("value"));
  if (a.has("value_float"))
    return std::make_unique<Constant>(Tensor::scalar(a.get_float("value_float", 0)));
  if (a.has("value_floats")) {
    std::vector<float> v = a.get_floats("value_floats");
    return std::make_unique<Constant>(Tensor::from_f32({static_cast<int64_t>(v.size())}, v));
  }
  if (a.has("value_int"))
    return std::make_unique<Constant>(Tensor::from_i64({}, {a.get_int("value_int", 0)}));
  if (a.has("value_ints")) {
    std::vector<int64_t> v = a.get_ints("value_ints");
    return std::make_unique<Constant>(Tensor::from_i64({static_cast<int64_t>(v.size())}, v));
  }
  a.error("has no value");
}

}  // namespace

void register_constant(OpRegistry& r) {
  r.add({"Constant", make_constant, LrpRole::constant, false});
}

}  // namespace heatlens
