// heatlens explain MODEL --input FILE --method NAME [--target K] [--output logit|prob|logprob]
//   [--param k=v]... --out R.npy [--png H.png [--colormap NAME] [--overlay]] [--json META.json]
// and heatlens methods [--json]: the registry with citations and parameter schemas.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/input_loader.h"
#include "core/error.h"
#include "explain/method.h"
#include "media/npy.h"
#include "render/heatmap.h"

namespace heatlens::cli {

namespace {

nlohmann::json schema_json(const MethodInfo& m) {
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

}  // namespace

int cmd_methods(int argc, char** argv) {
  Args args(argc, argv, 2, {{"--json", false}});
  if (args.has("--json")) {
    nlohmann::json j = nlohmann::json::array();
    for (const MethodInfo& m : method_registry()) j.push_back(schema_json(m));
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  for (const MethodInfo& m : method_registry()) {
    std::printf("%-22s %-12s %s\n", m.name.c_str(), family_name(m.family), m.summary.c_str());
    std::printf("%-22s cites: %s\n", "", m.citation.c_str());
    for (const ParamSpec& p : m.params) {
      std::string range = p.choices.empty() ? "" : " {";
      for (size_t i = 0; i < p.choices.size(); ++i) range += (i ? "|" : "") + p.choices[i];
      if (!p.choices.empty()) range += "}";
      std::printf("%-22s   --param %s=%s%s  %s\n", "", p.name.c_str(), p.default_value.c_str(),
                  range.c_str(), p.help.c_str());
    }
  }
  return 0;
}

int cmd_explain(int argc, char** argv) {
  std::vector<FlagSpec> flags = input_flags();
  for (const char* f : {"--method", "--target", "--output", "--out", "--png", "--colormap",
                        "--json", "--threads", "--alpha"}) {
    flags.push_back({f, true});
  }
  flags.push_back({"--param", true, true});
  flags.push_back({"--overlay", false});
  Args args(argc, argv, 2, flags);
  if (args.positional().size() != 1 || !args.has("--method")) {
    throw UsageError{
        "usage: heatlens explain MODEL.onnx --input FILE --method NAME [--param k=v]... --out "
        "R.npy [--png H.png]"};
  }
  if (!args.has("--out") && !args.has("--png") && !args.has("--json"))
    throw UsageError{"give --out R.npy, --png H.png or --json META.json"};
  const std::string model_path = args.positional()[0];
  const MethodInfo& method = find_method(args.get("--method"));
  std::map<std::string, std::string> params;
  for (const std::string& p : args.get_all("--param")) params.insert(parse_param(p));
  ParamValues::resolve(method.params, params);  // report bad parameters before loading anything
  const Colormap* colormap =
      args.has("--colormap") ? &find_colormap(args.get("--colormap")) : nullptr;

  Engine engine = Engine::load_file(model_path, static_cast<int>(args.get_int("--threads", 0)));
  ModelCard card = load_model_card_beside(model_path);
  Tensor x = load_input(args, engine.graph(), card);
  if (x.dim(0) != 1)
    throw UsageError{"explain takes one example; the input has a batch of " +
                     std::to_string(x.dim(0))};
  ExplainModel model(engine, card);
  TargetSpec target;
  target.class_index = args.get_int("--target", -1);
  target.space = parse_output_space(args.get("--output", "logit"));
  Progress progress;
  Attribution a = explain(model, x, method.name, target, params, progress);

  if (args.has("--out")) write_npy(args.get("--out"), a.relevance);
  if (args.has("--png")) {
    const Colormap& map =
        colormap ? *colormap : find_colormap(a.signed_map ? "seismic" : "inferno");
    Image img = render_heatmap(a.relevance, a.signed_map, map);
    if (args.has("--overlay"))
      img =
          overlay_heatmap(img, x, card, args.has("--alpha") ? std::stod(args.get("--alpha")) : 0.6);
    write_png(args.get("--png"), img);
  }
  nlohmann::json meta = {{"method", a.method},
                         {"citation", method.citation},
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
  if (!card.labels.empty()) meta["label"] = card.labels[a.target.class_index];
  if (a.delta) meta[a.delta_name + "_delta"] = *a.delta;
  if (!a.layer_sums.empty()) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& [name, sum] : a.layer_sums)
      layers.push_back({{"layer", name}, {"relevance_sum", sum}});
    meta["layer_sums"] = layers;
  }
  if (args.has("--json"))
    write_file(args.get("--json"), [&] {
      const std::string s = meta.dump(2) + "\n";
      return std::vector<uint8_t>(s.begin(), s.end());
    }());
  std::printf("%s: class %lld (%s %.4f), relevance sum %.4g%s, %lld passes, %.0f ms\n",
              a.method.c_str(), static_cast<long long>(a.target.class_index),
              output_space_name(a.target.space), a.score, a.relevance_sum,
              a.delta ? (", " + a.delta_name + " delta " + std::to_string(*a.delta)).c_str() : "",
              static_cast<long long>(a.passes), a.wall_ms);
  return 0;
}

}  // namespace heatlens::cli
