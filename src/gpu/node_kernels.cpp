#include "gpu/node_kernels.h"

#include <cmath>

#include "gpu/kernels.h"

namespace heatlens::gpu {

namespace {

// Float data. Inputs after the first may also be constants of another type (Reshape's shape,
// the axes of a reduction): they configure the op and never go to the GPU.
bool float_data(const std::vector<ValueType>& types) {
  for (size_t k = 0; k < types.size(); ++k) {
    const ValueType& t = types[k];
    if (!t.omitted && t.dtype != DType::f32 && !(k > 0 && t.constant.defined())) return false;
  }
  return true;
}

bool present(const std::vector<ValueType>& in, size_t k) {
  return k < in.size() && !in[k].omitted;
}

// Strides of Gemm's C (shape [], [N], [1, N], [M, 1] or [M, N]) read at (row, column).
bool gemm_c_strides(const Shape& c, int64_t m, int64_t n, int64_t& row, int64_t& col) {
  const Shape s = c.size() == 2 ? c : (c.size() == 1 ? Shape{1, c[0]} : Shape{1, 1});
  if (c.size() > 2 || (s[0] != 1 && s[0] != m) || (s[1] != 1 && s[1] != n)) return false;
  row = s[0] == 1 ? 0 : s[1];
  col = s[1] == 1 ? 0 : 1;
  return true;
}

// BatchNormalization folded to y = x·scale + shift: [scale..., shift...].
Tensor batch_norm_coefficients(const std::vector<ValueType>& in, float epsilon) {
  const Tensor& gamma = in[1].constant;
  const Tensor& beta = in[2].constant;
  const Tensor& mean = in[3].constant;
  const Tensor& var = in[4].constant;
  const int64_t c = gamma.numel();
  Tensor ss({2 * c});
  for (int64_t i = 0; i < c; ++i) {
    const float scale = gamma.f32()[i] / std::sqrt(var.f32()[i] + epsilon);
    ss.f32()[i] = scale;
    ss.f32()[c + i] = beta.f32()[i] - mean.f32()[i] * scale;
  }
  return ss;
}

DeviceTensor batch_norm_ss(Context& c, const std::vector<ValueType>& in, float epsilon) {
  // Keyed by the scale and the mean together (layers may share one of them, not both).
  const auto tag = static_cast<int>(reinterpret_cast<uintptr_t>(in[3].constant.f32()) & 0x7fffffff);
  return c.derived(in[1].constant, tag, [&] { return batch_norm_coefficients(in, epsilon); });
}

float plane_scale(const Shape& x) {
  int64_t size = 1;
  for (size_t d = 2; d < x.size(); ++d) size *= x[d];
  return 1.0f / static_cast<float>(std::max<int64_t>(size, 1));
}

// ReduceMean divides by the number of elements that fold onto each output.
float reduce_scale(const OpDesc& d, const Shape& x) {
  if (d.reduce != ReduceKind::mean) return 1.0f;
  return static_cast<float>(shape_numel(d.kept)) /
         static_cast<float>(std::max<int64_t>(shape_numel(x), 1));
}

}  // namespace

std::vector<ValueType> node_output_types(const Node& node, const Plan& p) {
  std::vector<ValueType> out;
  for (int id : node.outputs) out.push_back(id >= 0 ? p.types[id] : ValueType());
  return out;
}

bool gpu_forward_supported(const Node& node, const std::vector<ValueType>& in,
                           const std::vector<ValueType>& out, OpDesc& d) {
  if (out.size() != 1 || out[0].dtype != DType::f32 || !float_data(in)) return false;
  if (!node.op->describe(in, d)) return false;
  switch (d.kind) {
    case OpKind::conv:
      return in[0].shape.size() == 4;
    case OpKind::gemm: {
      if (in[0].shape.size() != 2 || in[1].shape.size() != 2) return false;
      int64_t row, col;
      return !present(in, 2) || d.beta == 0.0f ||
             gemm_c_strides(in[2].shape, out[0].shape[0], out[0].shape[1], row, col);
    }
    case OpKind::batch_norm:
      for (size_t k = 1; k < 5; ++k) {
        if (!present(in, k) || !in[k].constant.defined()) return false;
      }
      return in[0].shape.size() >= 2 && in[1].constant.numel() == in[0].shape[1];
    case OpKind::binary:
      return out[0].shape.size() <= kBinaryMaxRank;
    case OpKind::global_average_pool:
      return in[0].shape.size() == 4;
    case OpKind::reduce:
      return in[0].shape.size() <= kBinaryMaxRank && d.kept.size() == in[0].shape.size();
    case OpKind::unary:
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::reshape:
    case OpKind::concat:
    case OpKind::softmax:
      return true;
    case OpKind::none:
      return false;
  }
  return false;
}

DeviceTensors gpu_forward(Context& c, const Node& node, const OpDesc& d,
                          const std::vector<ValueType>& in_types, const Shape& out,
                          const DeviceTensors& in, const Activation& act) {
  switch (d.kind) {
    case OpKind::conv:
      return {conv2d(c, in[0], in[1], present(in_types, 2) ? in[2] : DeviceTensor(), d.window,
                     d.group, act)};
    case OpKind::gemm: {
      const Shape& a = in_types[0].shape;
      const Shape& b = in_types[1].shape;
      const int64_t m = d.trans_a ? a[1] : a[0], k = d.trans_a ? a[0] : a[1];
      const int64_t n = d.trans_b ? b[0] : b[1];
      int64_t row = 0, col = 0;
      const bool with_c = present(in_types, 2) && d.beta != 0.0f;
      if (with_c) gemm_c_strides(in_types[2].shape, m, n, row, col);
      return {gemm(c, in[0], in[1], with_c ? in[2] : DeviceTensor(), m, n, k, d.trans_a, d.trans_b,
                   d.alpha, with_c ? d.beta : 0.0f, row, col)};
    }
    case OpKind::batch_norm:
      return {channel_affine(c, in[0], batch_norm_ss(c, in_types, d.epsilon), true)};
    case OpKind::unary:
      return {unary(c, in[0], d.unary, d.alpha, d.beta)};
    case OpKind::binary:
      return {binary(c, d.binary, in[0], in[1], out)};
    case OpKind::max_pool:
      return {max_pool(c, in[0], d.window)};
    case OpKind::average_pool:
      return {average_pool(c, in[0], d.window, d.count_include_pad)};
    case OpKind::global_average_pool: {
      const Shape& x = in_types[0].shape;
      return {sum_to(c, in[0], {x[0], x[1], 1, 1}, plane_scale(x))};
    }
    case OpKind::reshape: {
      DeviceTensor view = in[0];
      view.shape = out;
      return {view};
    }
    case OpKind::concat:
      return {concat(c, in, d.axis, out)};
    case OpKind::softmax:
      return {softmax(c, in[0], d.outer, d.extent, d.inner, d.log)};
    case OpKind::reduce: {
      DeviceTensor y = d.reduce == ReduceKind::max
                           ? max_to(c, in[0], d.kept)
                           : sum_to(c, in[0], d.kept, reduce_scale(d, in_types[0].shape));
      y.shape = out;
      return {y};
    }
    case OpKind::none:
      break;
  }
  fail(node.label + " has no GPU kernel");
}

bool gpu_backward_supported(const Node& node, const OpDesc& d,
                            const std::vector<ValueType>& in_types, const std::vector<bool>& need) {
  auto only_first = [&] {
    for (size_t k = 1; k < need.size(); ++k) {
      if (need[k]) return false;
    }
    return true;
  };
  switch (d.kind) {
    case OpKind::conv:
    case OpKind::gemm:
    case OpKind::batch_norm:
      return only_first();  // weight gradients run on the CPU
    case OpKind::binary:
      // Mul and Div read both operands (saved by the op); Add and Sub read neither.
      return d.binary != BinaryKind::other;
    case OpKind::unary:
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool:
    case OpKind::reshape:
    case OpKind::concat:
    case OpKind::softmax:
    case OpKind::reduce:
      return true;
    case OpKind::none:
      return false;
  }
  return false;
}

DeviceTensors gpu_backward(Context& c, const Node& node, const OpDesc& d,
                           const std::vector<ValueType>& in_types, const DeviceTensors& in,
                           const DeviceTensors& out, const DeviceTensor& dy,
                           const std::vector<bool>& need) {
  DeviceTensors grads(in_types.size());
  const Shape& x_shape = in_types[0].shape;
  switch (d.kind) {
    case OpKind::conv:
      grads[0] = conv2d_backward_data(c, dy, in[1], x_shape, d.window, d.group);
      break;
    case OpKind::gemm: {
      // dA = alpha·dY·op(B)ᵀ, or its transpose when A is stored transposed.
      const Shape& b = in_types[1].shape;
      const int64_t m = dy.shape[0], n = dy.shape[1];
      const int64_t k = d.trans_b ? b[1] : b[0];
      if (!d.trans_a) {
        grads[0] = gemm(c, dy, in[1], DeviceTensor(), m, k, n, false, !d.trans_b, d.alpha, 0, 0, 0);
      } else {
        grads[0] = gemm(c, in[1], dy, DeviceTensor(), k, m, n, d.trans_b, true, d.alpha, 0, 0, 0);
      }
      grads[0].shape = x_shape;
      break;
    }
    case OpKind::batch_norm:
      grads[0] = channel_affine(c, dy, batch_norm_ss(c, in_types, d.epsilon), false);
      break;
    case OpKind::unary: {
      const bool from_output = node.op->vjp_uses_output(0);
      grads[0] = unary_backward(c, from_output ? out[0] : in[0], dy, d.unary, d.alpha, d.beta);
      break;
    }
    case OpKind::binary:
      for (int which = 0; which < 2; ++which) {
        if (!need[static_cast<size_t>(which)]) continue;
        const Shape& target = in_types[static_cast<size_t>(which)].shape;
        if (d.binary == BinaryKind::add || d.binary == BinaryKind::sub) {
          DeviceTensor g =
              d.binary == BinaryKind::sub && which == 1 ? unary(c, dy, UnaryKind::neg, 0, 0) : dy;
          grads[static_cast<size_t>(which)] = target == g.shape ? g : sum_to(c, g, target, 1.0f);
        } else {
          grads[static_cast<size_t>(which)] = binary_backward(c, d.binary, which, in[0], in[1], dy);
        }
      }
      break;
    case OpKind::max_pool:
      grads[0] = max_pool_backward(c, in[0], dy, d.window);
      break;
    case OpKind::average_pool:
      grads[0] = average_pool_backward(c, dy, x_shape, d.window, d.count_include_pad);
      break;
    case OpKind::global_average_pool:
      grads[0] = broadcast_to(c, dy, x_shape, plane_scale(x_shape));
      break;
    case OpKind::reshape:
      grads[0] = dy;
      grads[0].shape = x_shape;
      break;
    case OpKind::concat: {
      int64_t offset = 0;
      for (size_t k = 0; k < in_types.size(); ++k) {
        if (need[k]) grads[k] = concat_part(c, dy, d.axis, offset, in_types[k].shape);
        offset += in_types[k].shape[static_cast<size_t>(d.axis)];
      }
      break;
    }
    case OpKind::softmax:
      grads[0] = softmax_backward(c, out[0], dy, d.outer, d.extent, d.inner, d.log);
      break;
    case OpKind::reduce: {
      DeviceTensor g = dy;
      g.shape = d.kept;
      grads[0] = d.reduce == ReduceKind::max
                     ? max_to_backward(c, in[0], g, d.first_max)
                     : broadcast_to(c, g, x_shape, reduce_scale(d, x_shape));
      break;
    }
    case OpKind::none:
      fail(node.label + " has no GPU gradient kernel");
  }
  return grads;
}

}  // namespace heatlens::gpu
