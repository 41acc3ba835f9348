// OpDesc: what an accelerator backend (gpu/) needs to run an operator on its own kernels —
// the operator's kind and its geometry resolved for concrete input types. Ops that a backend
// can run describe themselves (Op::describe); the others run on the CPU, node by node.
//
//   OpDesc d;
//   if (node.op->describe(input_types, d) && d.kind == OpKind::conv) use(d.window, d.group);
#pragma once

#include <cstdint>

#include "kernels/elementwise.h"
#include "ops/spatial.h"

namespace heatlens {

enum class OpKind {
  none,
  conv,                 // window, group; inputs x, w, [b]
  gemm,                 // trans_a, trans_b, alpha, beta; inputs a, b, [c]
  batch_norm,           // epsilon; inputs x, scale, bias, mean, var (inference form)
  unary,                // unary, alpha, beta
  binary,               // binary (numpy broadcasting)
  max_pool,             // window
  average_pool,         // window, count_include_pad
  global_average_pool,  //
  reshape,              // the output is the input's data under another shape (Flatten, ...)
  concat,               // axis
  softmax,              // outer, extent, inner; log (LogSoftmax)
  reduce,               // reduce, kept (ReduceSum/Mean/Max, GlobalMaxPool); first_max
};

// Reductions with a kernel (ReduceSum, ReduceMean, ReduceMax).
enum class ReduceKind { sum, mean, max };

// UnaryKind (kernels/elementwise.h): element-wise functions with a kernel; its numbers are the
// WGSL kernel's codes.
struct OpDesc {
  OpKind kind = OpKind::none;
  WindowPlan window;  // conv and pooling
  int64_t group = 1;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 0;  // gemm; unary parameters
  float epsilon = 0;
  bool count_include_pad = false;
  UnaryKind unary = UnaryKind::none;
  BinaryKind binary = BinaryKind::other;
  int64_t axis = 0;  // concat (normalised)
  // Softmax/LogSoftmax: element (o, a, i) at (o·extent + a)·inner + i, normalised along a.
  int64_t outer = 1, extent = 1, inner = 1;
  bool log = false;
  // Reductions: the input's shape with the reduced axes set to 1 (the output is this shape's
  // data); a max's gradient goes to its first maximum only (GlobalMaxPool) or is shared by all.
  ReduceKind reduce = ReduceKind::sum;
  Shape kept;
  bool first_max = false;
};

const char* op_kind_name(OpKind kind);

}  // namespace heatlens
