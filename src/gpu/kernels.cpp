#include "gpu/kernels.h"

#include <string>

namespace heatlens::gpu {

namespace {

std::string u32_constant(const char* name, int64_t v) {
  return std::string("const ") + name + " : u32 = " + std::to_string(v) + "u;\n";
}

std::string bool_constant(const char* name, bool v) {
  return std::string("const ") + name + " : bool = " + (v ? "true" : "false") + ";\n";
}

uint32_t binary_code(BinaryKind kind) {
  switch (kind) {
    case BinaryKind::add:
      return 0;
    case BinaryKind::sub:
      return 1;
    case BinaryKind::mul:
      return 2;
    case BinaryKind::div:
      return 3;
    case BinaryKind::other:
      break;
  }
  fail("the GPU has no kernel for this binary operator");
}

uint32_t activation_code(const Activation& act) {
  switch (act.kind) {
    case Activation::Kind::none:
      return 0;
    case Activation::Kind::relu:
      return 1;
    case Activation::Kind::clip:
      return 2;
    case Activation::Kind::silu:
      return 3;
    case Activation::Kind::sigmoid:
      return 4;
    case Activation::Kind::ratio:
    case Activation::Kind::scale:
      break;  // LRP's CPU pass only (device_lrp.cpp divides and multiplies apart)
  }
  fail("the GPU has no epilogue for " + act.name());
  return 0;
}

// `s` right-aligned to `rank` dimensions (leading 1s).
Shape aligned(const Shape& s, size_t rank) {
  HEATLENS_CHECK(s.size() <= rank, "GPU broadcast: rank " << s.size() << " above " << rank);
  Shape out(rank - s.size(), 1);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

// Row-major strides of `operand` read at the coordinates of `out` (0 along broadcast dims).
std::vector<int64_t> broadcast_strides(const Shape& operand, const Shape& out) {
  const Shape s = aligned(operand, out.size());
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t d = out.size(); d-- > 0;) {
    HEATLENS_CHECK(s[d] == out[d] || s[d] == 1, "GPU broadcast: " << shape_str(operand)
                                                                  << " does not broadcast to "
                                                                  << shape_str(out));
    strides[d] = s[d] == 1 ? 0 : stride;
    stride *= s[d];
  }
  return strides;
}

Params binary_params(const Shape& a, const Shape& b, const Shape& out) {
  HEATLENS_CHECK(out.size() <= kBinaryMaxRank, "GPU binary kernels take rank ≤ 6");
  Params p;
  p.i(shape_numel(out)).i(static_cast<int64_t>(out.size()));
  const std::vector<int64_t> sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
  for (size_t d = 0; d < kBinaryMaxRank; ++d) p.i(d < out.size() ? out[d] : 1);
  for (size_t d = 0; d < kBinaryMaxRank; ++d) p.i(d < out.size() ? sa[d] : 0);
  for (size_t d = 0; d < kBinaryMaxRank; ++d) p.i(d < out.size() ? sb[d] : 0);
  return p;
}

// The reduce.wgsl parameter block: n, rank, big dims, small dims (aligned), scale.
Params reduce_params(int64_t n, const Shape& big, const Shape& small, float scale) {
  HEATLENS_CHECK(big.size() <= kBinaryMaxRank, "GPU reductions take rank ≤ 6");
  const Shape s = aligned(small, big.size());
  Params p;
  p.i(n).i(static_cast<int64_t>(big.size()));
  for (size_t d = 0; d < kBinaryMaxRank; ++d) p.i(d < big.size() ? big[d] : 1);
  for (size_t d = 0; d < kBinaryMaxRank; ++d) {
    if (d < big.size()) {
      HEATLENS_CHECK(s[d] == big[d] || s[d] == 1, "GPU reduction: " << shape_str(small)
                                                                    << " is not a broadcast of "
                                                                    << shape_str(big));
    }
    p.i(d < big.size() ? s[d] : 1);
  }
  p.f(scale);
  return p;
}

std::string reduce_constants(bool max, bool first) {
  return bool_constant("MAX", max) + bool_constant("FIRST", first);
}

Params conv_params(const Shape& x, int64_t m, const WindowPlan& w, int64_t group) {
  Params p;
  p.i(x[0]).i(x[1]).i(w.in_h).i(w.in_w).i(m).i(w.out_h).i(w.out_w).i(w.k_h).i(w.k_w);
  p.i(w.s_h).i(w.s_w).i(w.d_h).i(w.d_w).i(w.pad_top).i(w.pad_left).i(group);
  return p;
}

Params pool_params(int64_t n, const WindowPlan& w, bool include_pad) {
  Params p;
  p.i(n).i(w.in_h).i(w.in_w).i(w.out_h).i(w.out_w).i(w.k_h).i(w.k_w).i(w.s_h).i(w.s_w);
  p.i(w.d_h).i(w.d_w).i(w.pad_top).i(w.pad_left).i(w.pad_bottom).i(w.pad_right);
  p.u(include_pad ? 1 : 0);
  return p;
}

uint32_t tiles(int64_t n, int64_t tile) {
  return static_cast<uint32_t>((n + tile - 1) / tile);
}

}  // namespace

DeviceTensor unary(Context& c, const DeviceTensor& x, UnaryKind kind, float alpha, float beta) {
  DeviceTensor y = c.alloc(x.shape);
  c.dispatch({"unary", "forward", u32_constant("KIND", static_cast<int64_t>(kind))}, {&x, &y},
             Params().i(x.numel()).f(alpha).f(beta), Context::groups_1d(x.numel()));
  return y;
}

DeviceTensor unary_backward(Context& c, const DeviceTensor& v, const DeviceTensor& dy,
                            UnaryKind kind, float alpha, float beta) {
  DeviceTensor dx = c.alloc(dy.shape);
  c.dispatch({"unary_backward", "backward", u32_constant("KIND", static_cast<int64_t>(kind))},
             {&v, &dy, &dx}, Params().i(dy.numel()).f(alpha).f(beta),
             Context::groups_1d(dy.numel()));
  return dx;
}

DeviceTensor binary(Context& c, BinaryKind kind, const DeviceTensor& a, const DeviceTensor& b,
                    const Shape& out) {
  DeviceTensor y = c.alloc(out);
  c.dispatch({"binary", "forward", u32_constant("OP", binary_code(kind))}, {&a, &b, &y},
             binary_params(a.shape, b.shape, out), Context::groups_1d(y.numel()));
  return y;
}

DeviceTensor binary_backward(Context& c, BinaryKind kind, int which, const DeviceTensor& a,
                             const DeviceTensor& b, const DeviceTensor& dy) {
  const Shape& target = which == 0 ? a.shape : b.shape;
  if (kind == BinaryKind::add && target == dy.shape) return dy;
  DeviceTensor full = c.alloc(dy.shape);
  c.dispatch({"binary_backward", "backward",
              u32_constant("OP", binary_code(kind)) + u32_constant("WHICH", which)},
             {&a, &b, &dy, &full}, binary_params(a.shape, b.shape, dy.shape),
             Context::groups_1d(dy.numel()));
  if (target == dy.shape) return full;
  return sum_to(c, full, target, 1.0f);
}

DeviceTensor sum_to(Context& c, const DeviceTensor& x, const Shape& small, float scale) {
  DeviceTensor y = c.alloc(small);
  c.dispatch({"reduce", "sum_to", reduce_constants(false, false)}, {&x, &y},
             reduce_params(y.numel(), x.shape, small, scale), Context::groups_1d(y.numel()));
  return y;
}

DeviceTensor broadcast_to(Context& c, const DeviceTensor& x, const Shape& big, float scale) {
  DeviceTensor y = c.alloc(big);
  c.dispatch({"reduce", "broadcast_to", reduce_constants(false, false)}, {&x, &y},
             reduce_params(y.numel(), big, x.shape, scale), Context::groups_1d(y.numel()));
  return y;
}

DeviceTensor max_to(Context& c, const DeviceTensor& x, const Shape& small) {
  DeviceTensor y = c.alloc(small);
  c.dispatch({"reduce", "sum_to", reduce_constants(true, false)}, {&x, &y},
             reduce_params(y.numel(), x.shape, small, 1.0f), Context::groups_1d(y.numel()));
  return y;
}

DeviceTensor max_to_backward(Context& c, const DeviceTensor& x, const DeviceTensor& dy,
                             bool first) {
  DeviceTensor dx = c.alloc(x.shape);
  c.dispatch({"reduce", "max_backward", reduce_constants(true, first)}, {&x, &dx, &dy},
             reduce_params(dx.numel(), x.shape, dy.shape, 1.0f), Context::groups_1d(dx.numel()));
  return dx;
}

DeviceTensor softmax(Context& c, const DeviceTensor& x, int64_t outer, int64_t extent,
                     int64_t inner, bool log) {
  HEATLENS_CHECK(outer * extent * inner == x.numel(), "GPU softmax: " << shape_str(x.shape)
                                                                      << " is not " << outer << "×"
                                                                      << extent << "×" << inner);
  DeviceTensor y = c.alloc(x.shape);
  c.dispatch({"softmax", "forward", bool_constant("LOG", log)}, {&x, &y},
             Params().i(outer * inner).i(extent).i(inner), Context::groups_1d(outer * inner));
  return y;
}

DeviceTensor softmax_backward(Context& c, const DeviceTensor& y, const DeviceTensor& dy,
                              int64_t outer, int64_t extent, int64_t inner, bool log) {
  DeviceTensor dx = c.alloc(y.shape);
  c.dispatch({"softmax_backward", "backward", bool_constant("LOG", log)}, {&y, &dy, &dx},
             Params().i(outer * inner).i(extent).i(inner), Context::groups_1d(outer * inner));
  return dx;
}

DeviceTensor conv2d(Context& c, const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor& b,
                    const WindowPlan& window, int64_t group, const Activation& act) {
  HEATLENS_CHECK(x.shape.size() == 4 && w.shape.size() == 4, "GPU convolution is 2-D (NCHW)");
  const int64_t m = w.shape[0];
  DeviceTensor y = c.alloc({x.shape[0], m, window.out_h, window.out_w});
  const DeviceTensor bias = b.defined() ? b : c.zeros(m);
  Params p = conv_params(x.shape, m, window, group);
  p.f(act.lo).f(act.hi);
  const std::string constants = u32_constant("ACT", activation_code(act));
  if (x.shape[1] == group) {  // one input channel per group: depthwise
    c.dispatch({"conv", "depthwise", constants}, {&x, &w, &bias, &y}, p,
               Context::groups_1d(y.numel()));
  } else {
    const int64_t cols = window.out_h * window.out_w, rows = m / group;
    c.dispatch({"conv", "conv_gemm", constants}, {&x, &w, &bias, &y}, p,
               {tiles(cols, 64), tiles(rows, 64), static_cast<uint32_t>(x.shape[0] * group)});
  }
  return y;
}

DeviceTensor conv2d_backward_data(Context& c, const DeviceTensor& dy, const DeviceTensor& w,
                                  const Shape& x_shape, const WindowPlan& window, int64_t group) {
  DeviceTensor dx = c.alloc(x_shape);
  Params p = conv_params(x_shape, w.shape[0], window, group);
  p.i(dx.numel());
  c.dispatch({"conv_backward", "data", ""}, {&dy, &w, &dx}, p, Context::groups_1d(dx.numel()));
  return dx;
}

DeviceTensor gemm(Context& c, const DeviceTensor& a, const DeviceTensor& b, const DeviceTensor& cm,
                  int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, float alpha,
                  float beta, int64_t c_row, int64_t c_col) {
  HEATLENS_CHECK(a.numel() == m * k && b.numel() == k * n,
                 "GPU gemm: operands " << shape_str(a.shape) << " and " << shape_str(b.shape)
                                       << " do not make " << m << "×" << n << "×" << k);
  DeviceTensor y = c.alloc({m, n});
  const DeviceTensor addend = cm.defined() && beta != 0.0f ? cm : c.zeros(1);
  if (!cm.defined()) beta = 0.0f;
  c.dispatch({"gemm", "main", bool_constant("TA", trans_a) + bool_constant("TB", trans_b)},
             {&a, &b, &addend, &y}, Params().i(m).i(n).i(k).f(alpha).f(beta).i(c_row).i(c_col),
             {tiles(n, 64), tiles(m, 64), 1});
  return y;
}

DeviceTensor channel_affine(Context& c, const DeviceTensor& x, const DeviceTensor& ss, bool shift) {
  HEATLENS_CHECK(
      x.shape.size() >= 2 && ss.numel() == 2 * x.shape[1],
      "GPU channel affine: " << shape_str(x.shape) << " with " << ss.numel() << " coefficients");
  DeviceTensor y = c.alloc(x.shape);
  int64_t inner = 1;
  for (size_t d = 2; d < x.shape.size(); ++d) inner *= x.shape[d];
  c.dispatch({"channel_affine", "forward", ""}, {&x, &ss, &y},
             Params().i(x.numel()).i(x.shape[1]).i(inner).u(shift ? 1 : 0),
             Context::groups_1d(x.numel()));
  return y;
}

DeviceTensor max_pool(Context& c, const DeviceTensor& x, const WindowPlan& p) {
  DeviceTensor y = c.alloc({x.shape[0], x.shape[1], p.out_h, p.out_w});
  c.dispatch({"pool", "max_pool", ""}, {&x, &y}, pool_params(y.numel(), p, false),
             Context::groups_1d(y.numel()));
  return y;
}

DeviceTensor max_pool_backward(Context& c, const DeviceTensor& x, const DeviceTensor& dy,
                               const WindowPlan& p) {
  DeviceTensor dx = c.alloc(x.shape);
  c.dispatch({"max_pool_backward", "backward", ""}, {&x, &dy, &dx},
             pool_params(dx.numel(), p, false), Context::groups_1d(dx.numel()));
  return dx;
}

DeviceTensor average_pool(Context& c, const DeviceTensor& x, const WindowPlan& p,
                          bool include_pad) {
  DeviceTensor y = c.alloc({x.shape[0], x.shape[1], p.out_h, p.out_w});
  c.dispatch({"pool", "avg_pool", ""}, {&x, &y}, pool_params(y.numel(), p, include_pad),
             Context::groups_1d(y.numel()));
  return y;
}

DeviceTensor average_pool_backward(Context& c, const DeviceTensor& dy, const Shape& x_shape,
                                   const WindowPlan& p, bool include_pad) {
  DeviceTensor dx = c.alloc(x_shape);
  c.dispatch({"pool", "avg_pool_backward", ""}, {&dy, &dx}, pool_params(dx.numel(), p, include_pad),
             Context::groups_1d(dx.numel()));
  return dx;
}

namespace {

// (outer, axis·inner) blocks of `s` at `axis`.
int64_t inner_block(const Shape& s, int64_t axis) {
  int64_t b = 1;
  for (size_t d = static_cast<size_t>(axis); d < s.size(); ++d) b *= s[d];
  return b;
}

int64_t inner_size(const Shape& s, int64_t axis) {
  return inner_block(s, axis) / std::max<int64_t>(s[static_cast<size_t>(axis)], 1);
}

}  // namespace

DeviceTensor concat(Context& c, const std::vector<DeviceTensor>& parts, int64_t axis,
                    const Shape& out) {
  DeviceTensor y = c.alloc(out);
  const int64_t big = inner_block(out, axis), inner = inner_size(out, axis);
  int64_t offset = 0;
  for (const DeviceTensor& part : parts) {
    if (part.numel() > 0) {
      c.dispatch({"copy", "insert", ""}, {&part, &y},
                 Params().i(part.numel()).i(inner_block(part.shape, axis)).i(big).i(offset * inner),
                 Context::groups_1d(part.numel()));
    }
    offset += part.shape[static_cast<size_t>(axis)];
  }
  return y;
}

DeviceTensor concat_part(Context& c, const DeviceTensor& whole, int64_t axis, int64_t offset,
                         const Shape& part) {
  DeviceTensor y = c.alloc(part);
  if (y.numel() == 0) return y;
  c.dispatch({"copy", "extract", ""}, {&whole, &y},
             Params()
                 .i(y.numel())
                 .i(inner_block(part, axis))
                 .i(inner_block(whole.shape, axis))
                 .i(offset * inner_size(whole.shape, axis)),
             Context::groups_1d(y.numel()));
  return y;
}

namespace {

DeviceTensor relevance_step(Context& c, int step, const DeviceTensor& a, const DeviceTensor& b,
                            const DeviceTensor& gate, int sign, float p, float q) {
  HEATLENS_CHECK(!b.defined() || b.numel() == a.numel(),
                 "GPU relevance step: " << shape_str(a.shape) << " against " << shape_str(b.shape));
  DeviceTensor y = c.alloc(a.shape);
  const DeviceTensor& bb = b.defined() ? b : a;
  const DeviceTensor& gg = sign != 0 ? gate : a;
  c.dispatch({"relevance", "apply",
              u32_constant("STEP", step) + "const GATE : i32 = " + std::to_string(sign) + ";\n"},
             {&a, &bb, &gg, &y}, Params().i(a.numel()).f(p).f(q), Context::groups_1d(a.numel()));
  return y;
}

}  // namespace

DeviceTensor positive_part(Context& c, const DeviceTensor& a) {
  return relevance_step(c, 0, a, DeviceTensor(), DeviceTensor(), 0, 0, 0);
}

DeviceTensor negative_part(Context& c, const DeviceTensor& a) {
  return relevance_step(c, 1, a, DeviceTensor(), DeviceTensor(), 0, 0, 0);
}

DeviceTensor ones_like(Context& c, const DeviceTensor& a) {
  return relevance_step(c, 2, a, DeviceTensor(), DeviceTensor(), 0, 0, 0);
}

DeviceTensor square(Context& c, const DeviceTensor& a) {
  return relevance_step(c, 3, a, DeviceTensor(), DeviceTensor(), 0, 0, 0);
}

DeviceTensor combine(Context& c, float p, const DeviceTensor& a, float q, const DeviceTensor& b) {
  return relevance_step(c, 4, a, b, DeviceTensor(), 0, p, q);
}

DeviceTensor stabilized_ratio(Context& c, const DeviceTensor& r, const DeviceTensor& z,
                              float epsilon, const DeviceTensor& gate, int sign) {
  HEATLENS_CHECK(sign == 0 || gate.numel() == r.numel(), "GPU stabilized_ratio: gate shape");
  return relevance_step(c, 5, r, z, gate, sign, epsilon, 0);
}

}  // namespace heatlens::gpu
