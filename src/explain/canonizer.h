// Canonizers for LRP: rewrite a graph into an equivalent one whose layers LRP's rules apply to.
// fold_batch_norm merges each BatchNormalization into the Conv that feeds it (when that layer
// has constant weights and no other consumer), leaving an Identity behind, so the
// composite's rule sees one linear layer (ARCHITECTURE.md, "LRP conventions").
//
//   Graph g = fold_batch_norm(engine.graph());   // same function, fewer layers
#pragma once

#include "graph/graph.h"

namespace heatlens {

// Returns a canonized copy; `folded`, if given, receives the names of the merged BN nodes.
Graph fold_batch_norm(const Graph& graph, std::vector<std::string>* folded = nullptr);

}  // namespace heatlens
