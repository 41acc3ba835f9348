// The operator registry: every supported ONNX operator, one file each in src/ops/.
#include "ops/op.h"

namespace heatlens {

// One line per operator file; keep sorted.
// clang-format off
#define HEATLENS_OPS(X) \
  X(abs) \
  X(add) \
  X(average_pool) \
  X(batch_normalization) \
  X(cast) \
  X(clip) \
  X(concat) \
  X(constant) \
  X(conv) \
  X(conv_transpose) \
  X(div) \
  X(dropout) \
  X(elu) \
  X(erf) \
  X(exp) \
  X(flatten) \
  X(gather) \
  X(gemm) \
  X(global_average_pool) \
  X(global_max_pool) \
  X(hard_sigmoid) \
  X(hard_swish) \
  X(identity) \
  X(instance_normalization) \
  X(leaky_relu) \
  X(log) \
  X(log_softmax) \
  X(lrn) \
  X(mat_mul) \
  X(max_pool) \
  X(mul) \
  X(neg) \
  X(pad) \
  X(pow) \
  X(prelu) \
  X(reduce_max) \
  X(reduce_mean) \
  X(reduce_sum) \
  X(relu) \
  X(reshape) \
  X(resize) \
  X(selu) \
  X(shape) \
  X(sigmoid) \
  X(slice) \
  X(softmax) \
  X(split) \
  X(sqrt) \
  X(squeeze) \
  X(sub) \
  X(tanh) \
  X(transpose) \
  X(unsqueeze) \
  X(upsample)
// clang-format on

#define HEATLENS_DECLARE(name) void register_##name(OpRegistry& r);
HEATLENS_OPS(HEATLENS_DECLARE)
#undef HEATLENS_DECLARE

// Operators the WebGPU backend runs forward and backward (input gradients) on its own kernels:
// those whose Op::describe gives an OpDesc that gpu/node_kernels.cpp handles. Conditions (2-D
// convolution and pooling, BatchNormalization with constant statistics, float operands) are
// checked per node; a node outside them runs on the CPU. The GPU tests in Chromium run each.
constexpr const char* kWebGpuOps[] = {"Abs",
                                      "Add",
                                      "AveragePool",
                                      "BatchNormalization",
                                      "Clip",
                                      "Concat",
                                      "Conv",
                                      "Div",
                                      "Elu",
                                      "Exp",
                                      "Flatten",
                                      "Gemm",
                                      "GlobalAveragePool",
                                      "GlobalMaxPool",
                                      "HardSigmoid",
                                      "HardSwish",
                                      "LeakyRelu",
                                      "Log",
                                      "LogSoftmax",
                                      "MaxPool",
                                      "Mul",
                                      "Neg",
                                      "Relu",
                                      "ReduceMax",
                                      "ReduceMean",
                                      "ReduceSum",
                                      "Reshape",
                                      "Sigmoid",
                                      "Softmax",
                                      "Sqrt",
                                      "Sub",
                                      "Tanh"};

const OpRegistry& op_registry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
#define HEATLENS_REGISTER(name) register_##name(r);
    HEATLENS_OPS(HEATLENS_REGISTER)
#undef HEATLENS_REGISTER
    for (const char* name : kWebGpuOps) r.mark_webgpu(name);
    return r;
  }();
  return registry;
}

}  // namespace heatlens
