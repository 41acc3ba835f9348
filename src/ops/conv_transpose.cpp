// ConvTranspose: the adjoint of Conv (1-D/2-D, groups, strides, dilations, pads, auto_pad,
// output_padding, output_shape). Forward: Wᵀ·X then col2im onto the larger output; the
// input gradient is the matching convolution: W·im2col(dY).
#include <vector>

#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "ops/op_util.h"
#include "ops/spatial.h"

namespace heatlens {

namespace {

class ConvTranspose : public Op {
 public:
  ConvTranspose(SpatialAttrs s, int64_t group, std::vector<int64_t> output_padding,
                std::vector<int64_t> output_shape)
      : s_(std::move(s)),
        group_(group),
        output_padding_(std::move(output_padding)),
        output_shape_(std::move(output_shape)) {}

  // Geometry of the equivalent convolution from the output (the "image") to the input.
  WindowPlan window(const Shape& x, const Shape& w) const {
    const size_t nd = x.size() - 2;
    if (nd != 1 && nd != 2)
      error(std::to_string(nd) + "-D transposed convolution is not supported");
    std::vector<int64_t> kernel(w.begin() + 2, w.end());
    if (!s_.kernel_shape.empty() && s_.kernel_shape != kernel)
      error("kernel_shape disagrees with the weights");
    auto at = [&](const std::vector<int64_t>& v, size_t i, int64_t fallback) {
      if (v.empty()) return fallback;
      if (v.size() != nd) error("an attribute has the wrong length");
      return v[i];
    };
    std::vector<int64_t> out(nd), begin(nd), end(nd);
    for (size_t i = 0; i < nd; ++i) {
      const int64_t in = x[2 + i], k = kernel[i], st = at(s_.strides, i, 1),
                    dl = at(s_.dilations, i, 1);
      const int64_t op = at(output_padding_, i, 0);
      const int64_t full = st * (in - 1) + op + (k - 1) * dl + 1;
      if (!output_shape_.empty() || (s_.auto_pad == "SAME_UPPER" || s_.auto_pad == "SAME_LOWER")) {
        int64_t target =
            !output_shape_.empty() ? output_shape_[output_shape_.size() - nd + i] : in * st;
        const int64_t total = full - target;
        if (total < 0) {
          // A larger output_shape acts as output padding at the end (ONNX reference).
          begin[i] = 0;
          end[i] = total;
        } else if (s_.auto_pad == "SAME_UPPER") {
          begin[i] = total / 2;
          end[i] = total - total / 2;
        } else {
          begin[i] = total - total / 2;
          end[i] = total / 2;
        }
        out[i] = target;
      } else {
        begin[i] = s_.auto_pad == "VALID" || s_.pads.empty() ? 0 : s_.pads[i];
        end[i] = s_.auto_pad == "VALID" || s_.pads.empty() ? 0 : s_.pads[i + nd];
        out[i] = full - begin[i] - end[i];
        if (out[i] < 1) error("padding leaves no output");
      }
    }
    WindowPlan p;
    p.spatial_dims = static_cast<int>(nd);
    const size_t xw = nd - 1;
    if (nd == 2) {
      p.in_h = out[0];
      p.out_h = x[2];
      p.k_h = kernel[0];
      p.s_h = at(s_.strides, 0, 1);
      p.d_h = at(s_.dilations, 0, 1);
      p.pad_top = begin[0];
      p.pad_bottom = end[0];
    }
    p.in_w = out[xw];
    p.out_w = x[2 + xw];
    p.k_w = kernel[xw];
    p.s_w = at(s_.strides, xw, 1);
    p.d_w = at(s_.dilations, xw, 1);
    p.pad_left = begin[xw];
    p.pad_right = end[xw];
    return p;
  }

  Shape output_shape(const Shape& x, const Shape& w, const WindowPlan& p) const {
    Shape out = {x[0], w[1] * group_};
    if (p.spatial_dims == 2) out.push_back(p.in_h);
    out.push_back(p.in_w);
    return out;
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in.size() < 2) error("expects an input and weights");
    require_f32(in[0], *this, "input");
    const Shape& x = in[0].shape;
    const Shape& w = in[1].shape;
    if (x.size() < 3 || w.size() != x.size())
      error("input " + shape_str(x) + " and weights " + shape_str(w) + " do not match");
    if (w[0] != x[1])
      error("weights expect " + std::to_string(w[0]) + " input channels, got " +
            std::to_string(x[1]));
    if (x[1] % group_) error("input channels are not divisible by group");
    return {{DType::f32, output_shape(x, w, window(x, w)), Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    const Tensor& x = in[0];
    const Tensor& w = in[1];
    WindowPlan p = window(x.shape(), w.shape());
    const int64_t batch = x.dim(0), cin = x.dim(1), og = w.dim(1), cout = og * group_;
    const int64_t cg = cin / group_;
    ConvGeometry g = p.geometry(og);
    const int64_t kdim = og * g.k_h * g.k_w, cols = g.out_h * g.out_w;
    Tensor out(output_shape(x.shape(), w.shape(), p));
    std::vector<float> col(static_cast<size_t>(kdim * cols));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t gi = 0; gi < group_; ++gi) {
        const float* xg = x.f32() + (b * cin + gi * cg) * cols;
        const float* wg = w.f32() + gi * cg * kdim;  // [cg, og·kh·kw]
        f32_gemm(true, false, kdim, cols, cg, 1.0f, wg, kdim, xg, cols, 0.0f, col.data(), cols,
                 &ctx);
        col2im(col.data(), g, out.f32() + (b * cout + gi * og) * g.in_h * g.in_w, &ctx);
      }
    }
    if (in.size() > 2 && in[2].defined()) {
      const int64_t plane = g.in_h * g.in_w;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t o = 0; o < cout; ++o) {
          float* y = out.f32() + (b * cout + o) * plane;
          for (int64_t j = 0; j < plane; ++j) y[j] += in[2].f32()[o];
        }
      }
    }
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    const Shape& xs = a.input_types[0].shape;
    const Shape& ws = a.input_types[1].shape;
    WindowPlan p = window(xs, ws);
    const int64_t batch = xs[0], cin = xs[1], og = ws[1], cout = og * group_;
    const int64_t cg = cin / group_;
    ConvGeometry g = p.geometry(og);
    const int64_t kdim = og * g.k_h * g.k_w, cols = g.out_h * g.out_w;
    const Tensor& dy = a.grad_outputs[0];
    Tensors grads(a.input_types.size());
    std::vector<float> col(static_cast<size_t>(kdim * cols));
    Tensor dx, dw;
    if (a.need[0]) dx = Tensor(xs);
    if (a.need[1]) dw = Tensor(ws);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t gi = 0; gi < group_; ++gi) {
        im2col(dy.f32() + (b * cout + gi * og) * g.in_h * g.in_w, g, col.data(), &a.ctx);
        if (a.need[0]) {
          f32_gemm(false, false, cg, cols, kdim, 1.0f, a.inputs[1].f32() + gi * cg * kdim, kdim,
                   col.data(), cols, 0.0f, dx.f32() + (b * cin + gi * cg) * cols, cols, &a.ctx);
        }
        if (a.need[1]) {
          f32_gemm(false, true, cg, kdim, cols, 1.0f,
                   a.inputs[0].f32() + (b * cin + gi * cg) * cols, cols, col.data(), cols, 1.0f,
                   dw.f32() + gi * cg * kdim, kdim, &a.ctx);
        }
      }
    }
    grads[0] = dx;
    grads[1] = dw;
    if (a.input_types.size() > 2 && a.need[2]) {
      Tensor db({cout});
      const int64_t plane = g.in_h * g.in_w;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t o = 0; o < cout; ++o) {
          for (int64_t j = 0; j < plane; ++j) db.f32()[o] += dy.f32()[(b * cout + o) * plane + j];
        }
      }
      grads[2] = db;
    }
    return grads;
  }

 private:
  SpatialAttrs s_;
  int64_t group_;
  std::vector<int64_t> output_padding_, output_shape_;
};

std::unique_ptr<Op> make_conv_transpose(const OpBuildContext& ctx) {
  SpatialAttrs s = SpatialAttrs::parse(ctx.attrs);
  int64_t group = ctx.attrs.get_int("group", 1);
  if (group < 1) ctx.attrs.error("group must be positive");
  return std::make_unique<ConvTranspose>(std::move(s), group, ctx.attrs.get_ints("output_padding"),
                                         ctx.attrs.get_ints("output_shape"));
}

}  // namespace

void register_conv_transpose(OpRegistry& r) {
  r.add({"ConvTranspose", make_conv_transpose, LrpRole::linear, true});
}

}  // namespace heatlens
