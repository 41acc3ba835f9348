// Host side of the WGSL kernels (src/gpu/wgsl/, one file per family): each function checks
// shapes, fills the kernel's parameter block, records the dispatch and returns the result
// tensor (not yet computed: Context::download runs what is recorded).
//
//   DeviceTensor y = gpu::conv2d(c, x, w, b, window, group, Activation::relu());
#pragma once

#include "gpu/context.h"
#include "kernels/activation.h"
#include "ops/op_desc.h"

namespace heatlens::gpu {

DeviceTensor unary(Context& c, const DeviceTensor& x, UnaryKind kind, float alpha, float beta);
// v: the input x, or the output y where the op's gradient reads it (op->vjp_uses_output).
DeviceTensor unary_backward(Context& c, const DeviceTensor& v, const DeviceTensor& dy,
                            UnaryKind kind, float alpha, float beta);

// Numpy broadcasting of ranks ≤ 6 (kBinaryMaxRank); kind add, sub, mul or div.
constexpr size_t kBinaryMaxRank = 6;
DeviceTensor binary(Context& c, BinaryKind kind, const DeviceTensor& a, const DeviceTensor& b,
                    const Shape& out);
// ∂/∂a (which = 0) or ∂/∂b (which = 1), summed down to that operand's shape.
DeviceTensor binary_backward(Context& c, BinaryKind kind, int which, const DeviceTensor& a,
                             const DeviceTensor& b, const DeviceTensor& dy);

// Sums x down to `small` (same rank or fewer, right-aligned; each dim 1 or x's) times scale.
DeviceTensor sum_to(Context& c, const DeviceTensor& x, const Shape& small, float scale);
// The reverse: x (each dim 1 or big's) repeated to `big`, times scale.
DeviceTensor broadcast_to(Context& c, const DeviceTensor& x, const Shape& big, float scale);
// The maximum of x down to `small` (as sum_to), and its gradient: dy (of small's shape) goes to
// the maxima of x, shared equally among ties, or with `first` to the first maximum only.
DeviceTensor max_to(Context& c, const DeviceTensor& x, const Shape& small);
DeviceTensor max_to_backward(Context& c, const DeviceTensor& x, const DeviceTensor& dy, bool first);

// Softmax (log: LogSoftmax) of x viewed as (outer, extent, inner), along extent; the gradient
// from the output y.
DeviceTensor softmax(Context& c, const DeviceTensor& x, int64_t outer, int64_t extent,
                     int64_t inner, bool log);
DeviceTensor softmax_backward(Context& c, const DeviceTensor& y, const DeviceTensor& dy,
                              int64_t outer, int64_t extent, int64_t inner, bool log);

// 2-D convolution, NCHW; b may be undefined. Depthwise layers (one input channel per group)
// run the direct kernel, the others the implicit GEMM.
DeviceTensor conv2d(Context& c, const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor& b,
                    const WindowPlan& window, int64_t group, const Activation& act);
DeviceTensor conv2d_backward_data(Context& c, const DeviceTensor& dy, const DeviceTensor& w,
                                  const Shape& x_shape, const WindowPlan& window, int64_t group);

// y[M×N] = alpha·op(a)·op(b) + beta·c; c (may be undefined when beta = 0) broadcast through
// strides (c_row, c_col).
DeviceTensor gemm(Context& c, const DeviceTensor& a, const DeviceTensor& b, const DeviceTensor& cm,
                  int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, float alpha,
                  float beta, int64_t c_row, int64_t c_col);

// y = x·ss[c] (+ ss[C + c] with shift) over channel planes of x (N, C, ...).
DeviceTensor channel_affine(Context& c, const DeviceTensor& x, const DeviceTensor& ss, bool shift);

DeviceTensor max_pool(Context& c, const DeviceTensor& x, const WindowPlan& p);
DeviceTensor max_pool_backward(Context& c, const DeviceTensor& x, const DeviceTensor& dy,
                               const WindowPlan& p);
DeviceTensor average_pool(Context& c, const DeviceTensor& x, const WindowPlan& p, bool include_pad);
DeviceTensor average_pool_backward(Context& c, const DeviceTensor& dy, const Shape& x_shape,
                                   const WindowPlan& p, bool include_pad);

// Concatenation along `axis` and the slice of the result that came from one input.
DeviceTensor concat(Context& c, const std::vector<DeviceTensor>& parts, int64_t axis,
                    const Shape& out);
DeviceTensor concat_part(Context& c, const DeviceTensor& whole, int64_t axis, int64_t offset,
                         const Shape& part);

// The element-wise steps of the LRP rules (wgsl/relevance.wgsl): parts, ones, squares, linear
// combinations p·a + q·b, and the stabilised ratio a / (b + ε·sign b) gated by sign·gate > 0.
DeviceTensor positive_part(Context& c, const DeviceTensor& a);
DeviceTensor negative_part(Context& c, const DeviceTensor& a);
DeviceTensor ones_like(Context& c, const DeviceTensor& a);
DeviceTensor square(Context& c, const DeviceTensor& a);
DeviceTensor combine(Context& c, float p, const DeviceTensor& a, float q, const DeviceTensor& b);
DeviceTensor stabilized_ratio(Context& c, const DeviceTensor& r, const DeviceTensor& z,
                              float epsilon, const DeviceTensor& gate, int sign);

}  // namespace heatlens::gpu
