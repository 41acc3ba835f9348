#include "engine/concat_slots.h"

namespace heatlens {

void find_concat_slots(const Graph& graph, Plan& plan, const ValueUses& uses) {
  plan.concat_slots.assign(graph.values.size(), ConcatSlot{});
  plan.concat_in_place.assign(plan.steps.size(), false);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& node = graph.nodes[plan.steps[s]];
    if (node.op_type != "Concat" || node.outputs.size() != 1 || node.outputs[0] < 0) continue;
    const int out = node.outputs[0];
    const ValueType& type = plan.types[out];
    if (type.dtype != DType::f32 || type.constant.defined()) continue;
    // The axis is where an input's shape differs from the output's (planning checked the
    // rest); each input's part is one run of the output when every dimension before it is 1.
    size_t axis = type.shape.size();
    for (int id : node.inputs) {
      for (size_t d = 0; id >= 0 && d < axis && d < plan.types[id].shape.size(); ++d) {
        if (plan.types[id].shape[d] != type.shape[d]) axis = d;
      }
    }
    bool fits = !node.inputs.empty();
    for (size_t d = 0; d < axis && d < type.shape.size(); ++d) fits = fits && type.shape[d] == 1;
    for (int id : node.inputs) {
      // A value made by a one-output node (not a model input or constant), read only here,
      // once, and not empty.
      fits = fits && id >= 0 && uses.reads(id) == 1 && uses.made_at[id] >= 0 &&
             graph.nodes[plan.steps[uses.made_at[id]]].outputs.size() == 1 &&
             plan.types[id].dtype == DType::f32 && !plan.types[id].constant.defined() &&
             shape_numel(plan.types[id].shape) > 0;
    }
    if (!fits) continue;
    int64_t offset = 0;
    for (int id : node.inputs) {
      plan.concat_slots[id] = {out, offset};
      offset += shape_numel(plan.types[id].shape);
    }
    plan.concat_in_place[s] = true;
  }
}

}  // namespace heatlens
