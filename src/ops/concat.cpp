// Concat: joins inputs along an axis (float activations, or int64 shape pieces folded at plan
// time). The gradient is the matching slice of the output gradient for each input.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/op_desc.h"
#include "ops/op_util.h"

namespace heatlens {

namespace {

struct Piece {
  char* to;
  const char* from;
  size_t bytes;
};

class Concat : public Op {
 public:
  explicit Concat(int64_t axis) : axis_(axis) {}

  Shape out_shape(const std::vector<Shape>& shapes, int& axis) const {
    if (shapes.empty()) error("needs at least one input");
    const Shape& first = shapes[0];
    axis = normalize_axis(axis_, static_cast<int>(first.size()), *this);
    Shape out = first;
    out[axis] = 0;
    for (const Shape& s : shapes) {
      if (s.size() != first.size()) error("inputs differ in rank");
      for (size_t d = 0; d < s.size(); ++d) {
        if (static_cast<int>(d) != axis && s[d] != first[d])
          error("input shapes " + shape_str(first) + " and " + shape_str(s) +
                " differ off the axis");
      }
      out[axis] += s[axis];
    }
    return out;
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    std::vector<Shape> shapes;
    for (const ValueType& t : in) {
      if (t.dtype != in[0].dtype) error("inputs differ in dtype");
      shapes.push_back(t.shape);
    }
    int axis;
    return {{in[0].dtype, out_shape(shapes, axis), Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    std::vector<Shape> shapes;
    for (const Tensor& t : in) shapes.push_back(t.shape());
    int axis;
    Shape shape = out_shape(shapes, axis);
    // Every byte is copied below: no zeroing first.
    Tensor out = Tensor::uninitialized(shape, in[0].dtype());
    const size_t elem = dtype_size(in[0].dtype());
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= shape[d];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    char* dst =
        reinterpret_cast<char*>(in[0].dtype() == DType::f32 ? static_cast<void*>(out.f32())
                                                            : static_cast<void*>(out.i64()));
    // The copies, cut into pieces of at most kPiece bytes so that a few large inputs (a batch of
    // one) still split over the pool: the copying is all this op does.
    constexpr size_t kPiece = size_t{1} << 17;
    std::vector<Piece> pieces;
    int64_t offset = 0;
    for (const Tensor& t : in) {
      const int64_t chunk = t.shape()[axis] * inner;
      const char* src = reinterpret_cast<const char*>(t.dtype() == DType::f32
                                                          ? static_cast<const void*>(t.f32())
                                                          : static_cast<const void*>(t.i64()));
      const size_t bytes = static_cast<size_t>(chunk) * elem;
      for (int64_t o = 0; o < outer && chunk > 0; ++o) {
        char* to = dst + (o * shape[axis] * inner + offset) * elem;
        const char* from = src + o * chunk * elem;
        for (size_t b = 0; b < bytes; b += kPiece)
          pieces.push_back({to + b, from + b, std::min(kPiece, bytes - b)});
      }
      offset += chunk;
    }
    auto copy = [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) std::memcpy(pieces[p].to, pieces[p].from, pieces[p].bytes);
    };
    const int64_t total = out.numel() * static_cast<int64_t>(elem);
    if (total >= (int64_t{1} << 18))
      ctx.parallel_for(static_cast<int64_t>(pieces.size()), copy);
    else
      copy(0, static_cast<int64_t>(pieces.size()));
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    std::vector<Shape> shapes;
    for (const ValueType& t : a.input_types) shapes.push_back(t.shape);
    int axis;
    Shape shape = out_shape(shapes, axis);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= shape[d];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
    Tensors grads(a.input_types.size());
    int64_t offset = 0;
    for (size_t i = 0; i < shapes.size(); ++i) {
      const int64_t chunk = shapes[i][axis] * inner;
      if (a.need[i] && outer == 1) {
        // Each input's gradient is one run of the output's: a view, not a copy (gradients are
        // never written in place).
        grads[i] = a.grad_outputs[0].view(offset, shapes[i]);
      } else if (a.need[i]) {
        Tensor g = Tensor::uninitialized(shapes[i]);
        for (int64_t o = 0; o < outer && chunk > 0; ++o) {
          std::memcpy(g.f32() + o * chunk,
                      a.grad_outputs[0].f32() + o * shape[axis] * inner + offset,
                      chunk * sizeof(float));
        }
        grads[i] = g;
      }
      offset += chunk;
    }
    return grads;
  }

  bool vjp_uses_input(int) const override { return false; }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    for (const ValueType& t : in) {
      if (t.dtype != DType::f32) return false;
    }
    d.kind = OpKind::concat;
    d.axis = normalize_axis(axis_, static_cast<int>(in[0].shape.size()), *this);
    return true;
  }

 private:
  int64_t axis_;
};

std::unique_ptr<Op> make_concat(const OpBuildContext& ctx) {
  return std::make_unique<Concat>(ctx.attrs.require_int("axis"));
}

}  // namespace

void register_concat(OpRegistry& r) {
  r.add({"Concat", make_concat, LrpRole::data_movement, true});
}

}  // namespace heatlens
