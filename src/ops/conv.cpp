// Conv: N-channel 1-D/2-D convolution with groups (depthwise included), strides, dilations,
// explicit or automatic padding, optional bias. Forward: a packed GEMM over the implicit
// im2col matrix (weights packed once), or the direct depthwise kernel; bias and a following
// activation are fused into the kernels' epilogue. The VJP gives the input gradient as
// Wᵀ·dY followed by col2im (and weight/bias gradients if asked).
#include <vector>

#include "kernels/conv_gemm.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "kernels/winograd.h"
#include "ops/op_desc.h"
#include "ops/op_util.h"
#include "ops/spatial.h"

namespace heatlens {

namespace {

// Below this many output positions per image, a batch runs as one GEMM (conv_gemm_batch).
constexpr int64_t kBatchColumns = 1024;
// Winograd's transformed filters take 16/9 of the weights' memory beside the raw weights, so
// layers of at most 256 × 256 channels use them (ResNets' first three stages, SqueezeNet's
// expand layers; per layer the GEMM over im2col had taken 1.2-1.7× as long, maps from 13×13 up,
// 1 thread, AVX-512), in forward-only runs and LRP's pass but not in recorded runs
// (ExecContext::transformed_weights): it rounds differently where input patches repeat, so
// exact ties the GEMM keeps (max pooling's winners, which LRP and gradients route through)
// could come out the other way, and gradient runs have their memory budgeted. LRP's forward
// takes it in layers upstream of no max pooling (ForwardOptions::transforms_where_tie_free).
constexpr int64_t kWinogradMaxPairs = 256 * 256;
constexpr int64_t kWinogradMinSide = 12;

class Conv : public Op {
 public:
  Conv(SpatialAttrs s, int64_t group) : s_(std::move(s)), group_(group) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in.size() < 2) error("expects an input and weights");
    require_f32(in[0], *this, "input");
    require_f32(in[1], *this, "weights");
    const Shape& x = in[0].shape;
    const Shape& w = in[1].shape;
    if (x.size() < 3)
      error("input must have a batch, channel and spatial dims, got " + shape_str(x));
    if (w.size() != x.size())
      error("weights " + shape_str(w) + " do not match input " + shape_str(x));
    if (x[1] != w[1] * group_) {
      error("input has " + std::to_string(x[1]) + " channels, weights expect " +
            std::to_string(w[1] * group_) + " (group " + std::to_string(group_) + ")");
    }
    if (w[0] % group_) error("output channels are not divisible by group");
    if (in.size() > 2 && in[2].dtype == DType::f32 && !in[2].shape.empty() &&
        in[2].shape != Shape{w[0]}) {
      error("bias has shape " + shape_str(in[2].shape) + ", expected [" + std::to_string(w[0]) +
            "]");
    }
    WindowPlan p = window(x, w);
    Shape out = {x[0], w[0]};
    for (int64_t d : p.spatial_out()) out.push_back(d);
    return {{DType::f32, out, Tensor()}};
  }

  WindowPlan window(const Shape& x, const Shape& w) const {
    Shape spatial(x.begin() + 2, x.end());
    std::vector<int64_t> kernel(w.begin() + 2, w.end());
    if (!s_.kernel_shape.empty() && s_.kernel_shape != kernel)
      error("kernel_shape disagrees with the weights");
    return plan_window(s_, spatial, kernel, false, *this);
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    return forward_fused(in, ctx, Activation{});
  }

  bool fuses_activation() const override { return true; }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    if (in[0].shape.size() != 4) return false;  // 2-D convolutions only on accelerators
    d.kind = OpKind::conv;
    d.window = window(in[0].shape, in[1].shape);
    d.group = group_;
    return true;
  }

  // Packs constant weights before the first run (Op::prepare), as forward_fused would, and,
  // for runs that keep transposed weights, the packing the input gradient will use.
  void prepare(const std::vector<ValueType>& in, const ExecContext& ctx) const override {
    if (in.size() < 2 || !in[1].constant.defined() || in[1].dtype != DType::f32) return;
    const Tensor& w = in[1].constant;
    if (w.rank() < 3 || w.dim(0) % group_ != 0) return;
    const int64_t og = w.dim(0) / group_;
    if (w.dim(1) == 1 && og == 1) return;  // depthwise: the direct kernel packs nothing
    const auto geometry = [&] {
      return window(in[0].shape, w.shape()).geometry(in[0].shape[1] / group_);
    };
    if (!ctx.keep_transposed_weights) {
      const bool by_winograd = winograd(geometry(), og, ctx);
      (by_winograd ? winograd_ : packed_).get(w, group_, &ctx);
      return;
    }
    input_gradient_packing(geometry(), og, ctx).get(w, group_, &ctx);
  }

  // The packing a kept input gradient uses: at stride 1 the flipped filter (the gradient is a
  // forward convolution of dy: no column matrix, no col2im), transformed for Winograd where
  // that convolution suits it and the context allows; otherwise Wᵀ.
  PackedWeights& input_gradient_packing(const ConvGeometry& g, int64_t out_channels,
                                        const ExecContext& ctx) const {
    if (!flips_input_gradient(g)) return packed_t_;
    return winograd(flipped_geometry(g, out_channels), g.channels, ctx) ? winograd_f_ : packed_f_;
  }

  // Whether this layer (of one group) runs by Winograd (kernels/winograd.h) in this context.
  bool winograd(const ConvGeometry& g, int64_t out_channels, const ExecContext& ctx) const {
    return ctx.transformed_weights && group_ == 1 && winograd_applies(g, out_channels) &&
           out_channels * g.channels <= kWinogradMaxPairs && g.out_h >= kWinogradMinSide &&
           g.out_w >= kWinogradMinSide && g.pad_top <= 2 && g.pad_left <= 2;
  }

  // Depthwise layers run the direct kernel; the others a packed GEMM over the implicit im2col
  // matrix, with weights packed once (tests/unit/kernels_test.cpp checks both kernels).
  Tensors forward_fused(const Tensors& in, const ExecContext& ctx,
                        const Activation& activation) const override {
    const Tensor& x = in[0];
    const Tensor& w = in[1];
    const float* bias = in.size() > 2 && in[2].defined() ? in[2].f32() : nullptr;
    WindowPlan p = window(x.shape(), w.shape());
    const int64_t batch = x.dim(0), cin = x.dim(1), cout = w.dim(0);
    const int64_t cg = cin / group_, og = cout / group_;
    ConvGeometry g = p.geometry(cg);
    const int64_t cols = g.out_h * g.out_w;
    Shape out_shape = {batch, cout};
    for (int64_t d : p.spatial_out()) out_shape.push_back(d);
    Tensor out = ctx.output.defined() && ctx.output.shape() == out_shape
                     ? ctx.output
                     : Tensor::uninitialized(out_shape);
    Activation act = activation;
    if (act.reads_at_output()) {
      if (act.kind == Activation::Kind::ratio && !act.numerator)
        error("the ratio epilogue has no numerator");
      act.output = out.f32();  // the numerator and addend are shaped like this output
    }
    if (cg == 1 && og == 1) {
      for (int64_t b = 0; b < batch; ++b) {
        depthwise_conv(x.f32() + b * cin * g.in_h * g.in_w, w.f32(), bias, g, cin, act,
                       out.f32() + b * cout * cols, &ctx);
      }
      return {out};
    }
    // Winograd image by image; a batch of small maps goes into one GEMM's columns instead.
    if (winograd(g, og, ctx) && (batch == 1 || cols >= kBatchColumns)) {
      std::shared_ptr<const PackedConvWeights> u = winograd_.get(w, group_, &ctx);
      for (int64_t b = 0; b < batch; ++b) {
        winograd_conv(*u, x.f32() + b * cin * g.in_h * g.in_w, g, bias, act,
                      out.f32() + b * cout * cols, &ctx);
      }
      return {out};
    }
    std::shared_ptr<const PackedConvWeights> packed = packed_.get(w, group_, &ctx);
    if (batch > 1 && cols < kBatchColumns) {
      // Small maps: the batch goes into the GEMM's columns (perturbation batches).
      for (int64_t gi = 0; gi < group_; ++gi) {
        conv_gemm_batch(packed->groups[gi], x.f32() + gi * cg * g.in_h * g.in_w, batch,
                        cin * g.in_h * g.in_w, g, bias ? bias + gi * og : nullptr, act,
                        out.f32() + gi * og * cols, cout * cols, &ctx);
      }
      return {out};
    }
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t gi = 0; gi < group_; ++gi) {
        conv_gemm(packed->groups[gi], x.f32() + (b * cin + gi * cg) * g.in_h * g.in_w, g,
                  bias ? bias + gi * og : nullptr, act, out.f32() + (b * cout + gi * og) * cols,
                  &ctx);
      }
    }
    return {out};
  }

  // The sizes a backward pass over this layer works with, from its input and weight shapes.
  struct Sizes {
    int64_t batch, cin, cout, cg, og;  // per group: cg input and og output channels
    ConvGeometry g;                    // of one group
    int64_t kdim, cols;                // a filter's weights; output positions per channel
  };
  Sizes sizes(const Shape& xs, const Shape& ws) const {
    Sizes z;
    z.batch = xs[0];
    z.cin = xs[1];
    z.cout = ws[0];
    z.cg = z.cin / group_;
    z.og = z.cout / group_;
    z.g = window(xs, ws).geometry(z.cg);
    z.kdim = z.cg * z.g.k_h * z.g.k_w;
    z.cols = z.g.out_h * z.g.out_w;
    return z;
  }

  // The data input's gradient, times `factor` (shaped like the input) where given: the kernels
  // multiply as they write where they can, otherwise the finished gradient is multiplied.
  Tensor input_gradient(const VjpArgs& a, const Tensor* factor) const {
    const Shape& xs = a.input_types[0].shape;
    const Tensor& w = a.inputs[1];
    const Tensor& dy = a.grad_outputs[0];
    const auto [batch, cin, cout, cg, og, g, kdim, cols] = sizes(xs, a.input_types[1].shape);
    if (factor && factor->shape() != xs)
      error("a factor shaped " + shape_str(factor->shape()) + " for an input shaped " +
            shape_str(xs));
    const auto scaling = [&](const Tensor& dx) {
      Activation act = factor ? Activation::scale(factor->f32()) : Activation{};
      act.output = dx.f32();
      return act;
    };
    if (cg == 1 && og == 1) {
      Tensor dx = Tensor::uninitialized(xs);
      const Activation act = scaling(dx);
      for (int64_t b = 0; b < batch; ++b) {
        depthwise_conv_backward(dy.f32() + b * cout * cols, w.f32(), g, cin,
                                dx.f32() + b * cin * g.in_h * g.in_w, &a.ctx, act);
      }
      return dx;
    }
    // Wᵀ is packed per call, a block at a time, unless the context keeps it: a second packed
    // copy of every weight costs as much memory as the model itself. LRP, which asks for the
    // same transposes on every run, keeps them, and so do gradient runs of models whose
    // activations dwarf their weights (ExecContext::keep_transposed_weights,
    // Engine::set_transposed_weights).
    // Kept, the packing is input_gradient_packing's.
    PackedWeights* packing =
        a.ctx.keep_transposed_weights ? &input_gradient_packing(g, og, a.ctx) : nullptr;
    const bool flip = packing != nullptr && packing != &packed_t_;
    const bool by_winograd = packing == &winograd_f_;
    const bool written = flip || is_pointwise(g);  // dx is written, not added to
    Tensor dx = written ? Tensor::uninitialized(xs) : Tensor(xs);
    const Activation act = scaling(dx);
    std::shared_ptr<const PackedConvWeights> kept;
    if (packing) kept = packing->get(w, group_, &a.ctx);
    const ConvGeometry flipped = flip ? flipped_geometry(g, og) : ConvGeometry{};
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t gi = 0; gi < group_; ++gi) {
        const float* dyg = dy.f32() + (b * cout + gi * og) * cols;
        float* dxg = dx.f32() + (b * cin + gi * cg) * g.in_h * g.in_w;
        if (by_winograd) {
          winograd_conv(*kept, dyg, flipped, nullptr, act, dxg, &a.ctx);
        } else if (flip) {
          conv_input_gradient_flipped(kept->groups[gi], dyg, g, dxg, act, &a.ctx);
        } else if (kept) {
          conv_input_gradient_packed(kept->groups[gi], dyg, g, dxg, act, &a.ctx);
        } else {
          conv_input_gradient(w.f32() + gi * og * kdim, og, dyg, g, dxg, &a.ctx);
          if (factor) apply_in_place(dxg, cg * g.in_h * g.in_w, act, &a.ctx);
        }
      }
    }
    return dx;
  }

  Tensor scaled_input_gradient(const VjpArgs& a, int input, const Tensor& factor) const override {
    return input == 0 ? input_gradient(a, &factor) : Tensor();
  }

  Tensors vjp(const VjpArgs& a) const override {
    const Shape& ws = a.input_types[1].shape;
    const Tensor& dy = a.grad_outputs[0];
    const auto [batch, cin, cout, cg, og, g, kdim, cols] = sizes(a.input_types[0].shape, ws);
    Tensors grads(a.input_types.size());
    // The column matrix, made when a path needs it; the GEMMs overwrite it (beta = 0), so it is
    // left uninitialised.
    std::unique_ptr<float[]> col;
    const size_t col_floats = static_cast<size_t>(std::max<int64_t>(kdim * cols, 1));
    const auto column_buffer = [&] {
      if (!col) col.reset(new float[col_floats]);
      return col.get();
    };
    if (a.need[0]) grads[0] = input_gradient(a, nullptr);
    if (a.need[1]) {
      const Tensor& x = a.inputs[0];
      Tensor dw(ws);
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t gi = 0; gi < group_; ++gi) {
          im2col(x.f32() + (b * cin + gi * cg) * g.in_h * g.in_w, g, column_buffer(), &a.ctx);
          const float* dyg = dy.f32() + (b * cout + gi * og) * cols;
          f32_gemm(false, true, og, kdim, cols, 1.0f, dyg, cols, col.get(), cols, 1.0f,
                   dw.f32() + gi * og * kdim, kdim, &a.ctx);
        }
      }
      grads[1] = dw;
    }
    if (a.input_types.size() > 2 && a.need[2]) {
      Tensor db({cout});
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t o = 0; o < cout; ++o) {
          const float* d = dy.f32() + (b * cout + o) * cols;
          for (int64_t j = 0; j < cols; ++j) db.f32()[o] += d[j];
        }
      }
      grads[2] = db;
    }
    return grads;
  }

  bool vjp_uses_input(int index) const override { return index == 1 || index == 0; }
  bool vjp_uses_input(int index, const std::vector<bool>& need) const override {
    // x serves only the weight gradient, the weights only the input gradient.
    if (index == 0) return need.size() > 1 && need[1];
    return index == 1 && need[0];
  }

 private:
  SpatialAttrs s_;
  int64_t group_;
  mutable PackedWeights packed_;
  // Kept only when the context asks (LRP): Wᵀ, or the flipped filter for stride-1 kernels.
  mutable PackedWeights packed_t_{WeightLayout::transposed};
  mutable PackedWeights packed_f_{WeightLayout::flipped};
  mutable PackedWeights winograd_f_{WeightLayout::winograd_flipped};
  // Winograd layers' transformed filters, in place of packed_ in forward-only runs.
  mutable PackedWeights winograd_{WeightLayout::winograd};
};

std::unique_ptr<Op> make_conv(const OpBuildContext& ctx) {
  SpatialAttrs s = SpatialAttrs::parse(ctx.attrs);
  int64_t group = ctx.attrs.get_int("group", 1);
  if (group < 1) ctx.attrs.error("group must be positive");
  return std::make_unique<Conv>(std::move(s), group);
}

}  // namespace

void register_conv(OpRegistry& r) {
  r.add({"Conv", make_conv, LrpRole::linear, true});
}

}  // namespace heatlens
