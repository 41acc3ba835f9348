// Transpose: permutes dimensions (default: reverses them). The gradient applies the inverse.
#include <algorithm>

#include "ops/gather_map_op.h"

namespace heatlens {

namespace {

class Transpose : public GatherMapOp {
 public:
  explicit Transpose(std::vector<int64_t> perm) : perm_(std::move(perm)) {}

  Shape map(const std::vector<ValueType>& in, std::vector<int64_t>* source) const override {
    const Shape& s = in[0].shape;
    std::vector<int64_t> perm = perm_;
    if (perm.empty()) {
      for (size_t i = s.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    }
    if (perm.size() != s.size())
      error("perm has " + std::to_string(perm.size()) + " entries for rank " +
            std::to_string(s.size()));
    std::vector<bool> seen(s.size(), false);
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(s.size()) || seen[p])
        error("perm is not a permutation");
      seen[p] = true;
    }
    Shape out;
    for (int64_t p : perm) out.push_back(s[p]);
    if (source) {
      std::vector<int64_t> strides = row_strides(s);
      source->resize(shape_numel(out));
      for_each_index(out, [&](int64_t o, const std::vector<int64_t>& idx) {
        int64_t k = 0;
        for (size_t d = 0; d < idx.size(); ++d) k += idx[d] * strides[perm[d]];
        (*source)[o] = k;
      });
    }
    return out;
  }

 private:
  std::vector<int64_t> perm_;
};

std::unique_ptr<Op> make_transpose(const OpBuildContext& ctx) {
  return std::make_unique<Transpose>(ctx.attrs.get_ints("perm"));
}

}  // namespace

void register_transpose(OpRegistry& r) {
  r.add({"Transpose", make_transpose, LrpRole::data_movement, true});
}

}  // namespace heatlens
