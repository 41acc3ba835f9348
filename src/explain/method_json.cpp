#include "explain/method_json.h"

namespace heatlens {

nlohmann::json method_schema_json(const MethodInfo& m) {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamSpec& p : m.params) {
    nlohmann::json j = {{"name", p.name},
                        {"type", param_type_name(p.type)},
                        {"default", p.default_value},
                        {"help", p.help}};
    if (p.min != p.max) j["range"] = {p.min, p.max};
    if (!p.choices.empty()) j["choices"] = p.choices;
    params.push_back(j);
  }
  return {{"name", m.name},  {"family", family_name(m.family)}, {"access", m.access},
          {"cost", m.cost},  {"citation", m.citation},          {"summary", m.summary},
          {"params", params}};
}

nlohmann::json registry_json() {
  nlohmann::json j = nlohmann::json::array();
  for (const MethodInfo& m : method_registry()) j.push_back(method_schema_json(m));
  return j;
}

nlohmann::json attribution_json(const Attribution& a, const ModelCard& card) {
  nlohmann::json meta = {{"method", a.method},
                         {"citation", find_method(a.method).citation},
                         {"params", a.params},
                         {"target", a.target.class_index},
                         {"output", output_space_name(a.target.space)},
                         {"score", a.score},
                         {"logits", a.logits},
                         {"relevance_sum", a.relevance_sum},
                         {"passes", a.passes},
                         {"wall_ms", a.wall_ms},
                         {"signed", a.signed_map},
                         {"shape", a.relevance.shape()},
                         {"notes", a.notes}};
  if (static_cast<size_t>(a.target.class_index) < card.labels.size())
    meta["label"] = card.labels[a.target.class_index];
  if (a.delta) meta[a.delta_name + "_delta"] = *a.delta;
  if (!a.layer_sums.empty()) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& [name, sum] : a.layer_sums)
      layers.push_back({{"layer", name}, {"relevance_sum", sum}});
    meta["layer_sums"] = layers;
  }
  return meta;
}

}  // namespace heatlens
