#include "ops/op.h"

#include "core/error.h"
#include "ops/op_desc.h"

namespace heatlens {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::none:
      return "none";
    case OpKind::conv:
      return "conv";
    case OpKind::gemm:
      return "gemm";
    case OpKind::batch_norm:
      return "batch_norm";
    case OpKind::unary:
      return "unary";
    case OpKind::binary:
      return "binary";
    case OpKind::max_pool:
      return "max_pool";
    case OpKind::average_pool:
      return "average_pool";
    case OpKind::global_average_pool:
      return "global_average_pool";
    case OpKind::reshape:
      return "reshape";
    case OpKind::concat:
      return "concat";
    case OpKind::softmax:
      return "softmax";
    case OpKind::reduce:
      return "reduce";
  }
  return "?";
}

const char* lrp_role_name(LrpRole role) {
  switch (role) {
    case LrpRole::linear:
      return "linear (rule)";
    case LrpRole::pass_through:
      return "pass-through";
    case LrpRole::winner_takes_all:
      return "winner takes all";
    case LrpRole::proportional:
      return "proportional";
    case LrpRole::data_movement:
      return "data movement";
    case LrpRole::normalization:
      return "folded (canonizer)";
    case LrpRole::constant:
      return "constant";
    case LrpRole::unsupported:
      return "none";
  }
  return "none";
}

void Op::error(const std::string& message) const {
  fail(label_ + ": " + message);
}

Tensors Op::vjp(const VjpArgs&) const {
  error("has no gradient (VJP)");
}

Tensors Op::forward_fused(const Tensors&, const ExecContext&, const Activation& activation) const {
  error("cannot fuse " + activation.name());
}

const OpInfo* OpRegistry::find(const std::string& op_type) const {
  for (const OpInfo& o : ops_) {
    if (o.op_type == op_type) return &o;
  }
  return nullptr;
}

}  // namespace heatlens
