// LRP rules for linear layers (Conv, ConvTranspose, Gemm, MatMul with a constant operand),
// following Zennit's definitions (src/zennit/rules.py), generalised for negative inputs, with
// the stabiliser z + ε·sign(z), sign(0) = +1, and biases included unless a rule drops them.
//
//   Rule r = parse_rule("gamma", params);
//   Tensor r_in = apply_rule(node, r, layer_inputs, data_index, r_out, ctx);
#pragma once

#include <string>

#include "graph/graph.h"

namespace heatlens {

enum class RuleKind { zero, epsilon, gamma, alpha_beta, zplus, zbox, flat, wsquare };

struct Rule {
  RuleKind kind = RuleKind::epsilon;
  double epsilon = 1e-6;  // epsilon rule; the other rules stabilise with 1e-6 (Zennit's default)
  double gamma = 0.25;
  double alpha = 2, beta = 1;
  Tensor low, high;  // zbox bounds, shaped like the layer's input
};

const std::vector<std::string>&
rule_names();  // 0, epsilon, gamma, alpha-beta, zplus, zbox, flat, wsquare
RuleKind parse_rule_kind(const std::string& name);
std::string rule_label(const Rule& r);  // e.g. "gamma(0.25)"

// Which input of a linear node carries the data (the others are constant weights/bias);
// -1 when the node is not a linear layer LRP can apply a rule to.
int linear_data_input(const Node& node, const std::vector<bool>& is_constant);

// Relevance at the data input of a linear node, given the relevance at its output.
Tensor apply_rule(const Node& node, const Rule& rule, const Tensors& inputs, int data_index,
                  const Tensor& relevance_out, const ExecContext& ctx);

// ε-stabilised division R / (z + ε·sign(z)); 0 where the denominator is 0 (LRP-0).
Tensor stabilized_ratio(const Tensor& r, const Tensor& z, double epsilon);

}  // namespace heatlens
