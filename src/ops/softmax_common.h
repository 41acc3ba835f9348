// Softmax and LogSoftmax share their layout and their code. Before opset 13 the input is
// viewed as 2-D at `axis` (default 1) and normalised over the flattened trailing part; from
// opset 13 the normalisation runs along the single `axis` (default −1). Both are computed
// with the maximum subtracted.
//   Softmax:    y = exp(x)/Σ exp(x);       VJP: y·(dy − Σ dy·y)
//   LogSoftmax: y = x − log Σ exp(x);      VJP: dy − exp(y)·Σ dy
// A final Softmax or LogSoftmax is recognised by the explainers, which start from the logits.
#pragma once

#include "ops/op_util.h"

namespace heatlens {

struct SoftmaxLayout {
  int64_t outer = 1, axis = 1, inner = 1;  // element (o, a, i) at (o·axis + a)·inner + i
};

SoftmaxLayout softmax_layout(const Shape& shape, int64_t axis_attr, bool coerce_2d, const Op& op);

// The operator for either function (log = true: LogSoftmax), built from a node's attributes.
std::unique_ptr<Op> make_softmax_family(const OpBuildContext& ctx, bool log);

}  // namespace heatlens
