// Concatenation in place: where a Concat joins, along its outermost non-unit run (channels of a
// batch of one), values that feed nothing else, the step making each value writes it straight
// into its slice of the Concat's output, and the Concat itself copies nothing. SqueezeNet's
// fire modules (two expand convolutions, then Concat) had spent 13% of a one-thread forward
// copying.
//
// Ops that can write into a given tensor (Conv) read ExecContext::output; the engine copies
// any other producer's result into its slice as it is made.
#pragma once

#include <vector>

#include "engine/plan.h"
#include "graph/graph.h"

namespace heatlens {

// Fills Plan::concat_slots (by value id) and Plan::concat_in_place (by step) for the Concats
// whose every input qualifies; make_plan calls it after find_fusions.
void find_concat_slots(const Graph& graph, Plan& plan, const ValueUses& uses);

}  // namespace heatlens
