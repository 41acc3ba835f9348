// JSON views of the method registry and of an attribution's facts, shared by the CLI
// (`heatlens methods --json`, `explain --json`) and the Embind surface (the page's forms).
#pragma once

#include <nlohmann/json.hpp>

#include "explain/method.h"

namespace heatlens {

nlohmann::json method_schema_json(const MethodInfo& m);
nlohmann::json registry_json();
// Method, parameters, target, scores, sums, deltas, layer sums, passes, time and notes.
nlohmann::json attribution_json(const Attribution& a, const ModelCard& card);

}  // namespace heatlens
