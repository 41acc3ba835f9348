// heatlens eval MODEL --inputs DIR|LIST|X.npy --methods a,b:k=v --metrics x,y:k=v
//   [--boxes BOXES.json] [--target K] [--output logit|prob|logprob] [--out R.csv|.json|.md]
//   [--curves CURVES.json] — a method × metric table over inputs, like the papers' tables;
// heatlens eval MODEL --inputs DIR --query magnitude-phase [--param k=v]... [--out R.json|.md]
//   — the "magnitude or phase?" table of a spectrum model (eval/magnitude_phase.h);
// and heatlens metrics [--json | --markdown]: the metric registry.
#include <dirent.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/input_loader.h"
#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/magnitude_phase.h"
#include "media/npy.h"

namespace heatlens::cli {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep))
    if (!part.empty()) out.push_back(part);
  return out;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The input files: a directory's readable files (sorted), a list file's lines, or one file.
std::vector<std::string> input_paths(const std::string& where) {
  std::vector<std::string> paths;
  if (DIR* dir = opendir(where.c_str())) {
    while (dirent* e = readdir(dir)) {
      const std::string name = e->d_name;
      if (name[0] != '.' && is_input_file(name)) paths.push_back(where + "/" + name);
    }
    closedir(dir);
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) throw UsageError{"no .npy or image files in '" + where + "'"};
    return paths;
  }
  if (ends_with(where, ".txt") || ends_with(where, ".list")) {
    std::ifstream f(where);
    if (!f) throw UsageError{"cannot read the input list '" + where + "'"};
    const size_t slash = where.rfind('/');
    const std::string folder = slash == std::string::npos ? "" : where.substr(0, slash + 1);
    std::string line;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      paths.push_back(line[0] == '/' ? line : folder + line);
    }
    if (paths.empty()) throw UsageError{"the input list '" + where + "' is empty"};
    return paths;
  }
  return {where};
}

// A box [x0, y0, x1, y1) in the model's input pixels, or an .npy mask, as an H×W mask.
std::vector<uint8_t> box_mask(const nlohmann::json& spec, int64_t h, int64_t w,
                              const std::string& key) {
  std::vector<uint8_t> mask(h * w, 0);
  if (spec.is_string()) {
    const Tensor m = read_npy(spec.get<std::string>());
    if (m.numel() != h * w)
      throw UsageError{"the mask for '" + key + "' has " + std::to_string(m.numel()) +
                       " values; the input is " + std::to_string(h) + "×" + std::to_string(w)};
    for (int64_t i = 0; i < h * w; ++i)
      mask[i] = (m.dtype() == DType::i64 ? m.i64()[i] != 0 : m.f32()[i] != 0.0f) ? 1 : 0;
    return mask;
  }
  if (!spec.is_array() || spec.size() != 4)
    throw UsageError{"the box for '" + key + "' must be [x0, y0, x1, y1] or a mask .npy path"};
  const auto b = spec.get<std::vector<double>>();
  const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(b[0]));
  const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(b[1]));
  const int64_t x1 = std::min<int64_t>(w, static_cast<int64_t>(b[2]));
  const int64_t y1 = std::min<int64_t>(h, static_cast<int64_t>(b[3]));
  if (x1 <= x0 || y1 <= y0) throw UsageError{"the box for '" + key + "' is empty"};
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) mask[y * w + x] = 1;
  return mask;
}

// "<what>: done / total <unit> (p%)" on a terminal's stderr, once per percent.
Progress percent_progress(const char* what, const char* unit) {
  auto last = std::make_shared<int64_t>(-1);
  const bool tty = isatty(2);
  return Progress(
      [tty, last, what, unit](int64_t done, int64_t total) {
        if (!tty || total <= 0 || done * 100 / total == *last) return;
        *last = done * 100 / total;
        std::fprintf(stderr, "\r%s: %lld / %lld %s (%lld%%)", what, static_cast<long long>(done),
                     static_cast<long long>(total), unit, static_cast<long long>(*last));
      },
      nullptr);
}

// heatlens eval MODEL --inputs DIR --query magnitude-phase: the table of Heiß et al.'s Table 1
// (and, in --out R.json, the per-frequency maps of their Figure 2).
int eval_query(const Args& args) {
  if (args.get("--query") != "magnitude-phase")
    throw UsageError{"unknown --query '" + args.get("--query") + "' (there is magnitude-phase)"};
  if (args.positional().size() != 1 || !args.has("--inputs"))
    throw UsageError{
        "usage: heatlens eval MODEL.onnx --inputs DIR --query magnitude-phase [--param k=v]... "
        "[--no-maps] [--out R.json|.md]"};
  for (const char* other : {"--methods", "--metrics", "--boxes", "--curves", "--target"})
    if (args.has(other))
      throw UsageError{std::string(other) + " does not apply to --query magnitude-phase"};
  const std::string out = args.get("--out", "");
  if (!out.empty() && !ends_with(out, ".json") && !ends_with(out, ".md"))
    throw UsageError{"--out must end in .json or .md"};
  std::map<std::string, std::string> params;
  for (const std::string& p : args.get_all("--param")) params.insert(parse_param(p));
  std::map<std::string, std::string> check = params;
  check["grouping"] = "channels";
  ParamValues::resolve(find_method("rde").params, check);  // bad parameters before any work
  const std::string model_path = args.positional()[0];
  Engine engine = Engine::load_file(model_path, static_cast<int>(args.get_int("--threads", 0)));
  ModelCard card = load_model_card_beside(model_path);
  ExplainModel model(engine, card);
  std::vector<Tensor> inputs;
  for (const std::string& path : input_paths(args.get("--inputs"))) {
    const Tensor x = load_input_file(path, args, engine.graph(), card);
    for (int64_t b = 0; b < x.dim(0); ++b) inputs.push_back(x.dim(0) == 1 ? x : batch_item(x, b));
  }
  const bool tty = isatty(2);
  Progress progress = percent_progress("magnitude-phase", "RDE masks");
  const MagnitudePhaseResult r =
      magnitude_phase_query(model, inputs, params, !args.has("--no-maps"), progress);
  if (tty) std::fprintf(stderr, "\r%70s\r", "");
  const std::string table = magnitude_phase_markdown(r);
  std::printf(
      "%zu input(s); RDE masks on the magnitude and the phase channel (1: needed, 0: can be "
      "replaced by noise), per sample and one per class\n\n%s",
      inputs.size(), table.c_str());
  if (!out.empty()) {
    const std::string text =
        ends_with(out, ".json") ? magnitude_phase_json(r).dump(1) + "\n" : table;
    write_file(out, std::vector<uint8_t>(text.begin(), text.end()));
  }
  return 0;
}

}  // namespace

int cmd_metrics(int argc, char** argv) {
  Args args(argc, argv, 2, {{"--json", false}, {"--markdown", false}});
  if (args.has("--json")) {
    std::printf("%s\n", metric_registry_json().dump(2).c_str());
    return 0;
  }
  if (args.has("--markdown")) {
    std::printf(
        "# Evaluation metrics\n\nGenerated by `heatlens metrics --markdown` from the metric "
        "registry (`src/eval/`); do not edit by hand. ↑: higher is better, ↓: lower is "
        "better. Needs: `map` (the explanation only), `box` (a bounding box or mask, "
        "`--boxes`), `method` (re-runs the method).\n\n"
        "| metric | family | needs | better | parameters (default) | reference |\n"
        "|---|---|---|---|---|---|\n");
    for (const MetricInfo& m : metric_registry()) {
      std::string params;
      for (const ParamSpec& p : m.params)
        params += (params.empty() ? "" : ", ") + std::string("`") + p.name + "` (" +
                  p.default_value + ")";
      std::printf("| `%s` | %s | %s | %s | %s | %s |\n", m.name.c_str(), m.family.c_str(),
                  m.needs.c_str(), m.higher_is_better ? "↑" : "↓",
                  params.empty() ? "–" : params.c_str(), m.citation.c_str());
    }
    std::printf("\n%zu metrics.\n", metric_registry().size());
    return 0;
  }
  for (const MetricInfo& m : metric_registry()) {
    std::printf("%-20s %-13s %s %s\n", m.name.c_str(), m.family.c_str(),
                m.higher_is_better ? "↑" : "↓", m.summary.c_str());
    std::printf("%-20s cites: %s\n", "", m.citation.c_str());
    for (const ParamSpec& p : m.params)
      std::printf("%-20s   %s=%s  %s\n", "", p.name.c_str(), p.default_value.c_str(),
                  p.help.c_str());
  }
  return 0;
}

int cmd_eval(int argc, char** argv) {
  std::vector<FlagSpec> flags;
  for (const FlagSpec& f : input_flags())
    if (f.name != "--input") flags.push_back(f);
  for (const char* f : {"--inputs", "--methods", "--metrics", "--boxes", "--target", "--output",
                        "--out", "--curves", "--threads", "--query"})
    flags.push_back({f, true});
  flags.push_back({"--param", true, true});
  flags.push_back({"--no-maps", false});
  Args args(argc, argv, 2, flags);
  if (args.has("--query")) return eval_query(args);
  if (args.has("--param") || args.has("--no-maps"))
    throw UsageError{
        "--param and --no-maps belong to --query; give a method's parameters as "
        "--methods name:k=v"};
  if (args.positional().size() != 1 || !args.has("--inputs") || !args.has("--methods") ||
      !args.has("--metrics")) {
    throw UsageError{
        "usage: heatlens eval MODEL.onnx --inputs DIR|LIST|X.npy --methods a,b --metrics x,y "
        "[--boxes B.json] [--out R.csv|.json|.md] [--curves C.json]"};
  }
  const EvalPlan plan =
      parse_plan(split(args.get("--methods"), ','), split(args.get("--metrics"), ','));
  const std::string out = args.get("--out", "");
  if (!out.empty() && !ends_with(out, ".csv") && !ends_with(out, ".json") && !ends_with(out, ".md"))
    throw UsageError{"--out must end in .csv, .json or .md"};
  nlohmann::json boxes = nlohmann::json::object();
  if (args.has("--boxes")) {
    std::ifstream f(args.get("--boxes"));
    if (!f) throw UsageError{"cannot read '" + args.get("--boxes") + "'"};
    try {
      boxes = nlohmann::json::parse(f);
    } catch (const std::exception& e) {
      throw UsageError{"'" + args.get("--boxes") + "' is not valid JSON: " + e.what()};
    }
  }

  const std::string model_path = args.positional()[0];
  Engine engine = Engine::load_file(model_path, static_cast<int>(args.get_int("--threads", 0)));
  ModelCard card = load_model_card_beside(model_path);
  ExplainModel model(engine, card);
  TargetSpec target;
  target.class_index = args.get_int("--target", -1);
  target.space = parse_output_space(args.get("--output", "logit"));

  // Inputs: every file, and every row of a batch .npy, keyed for --boxes by file name (and
  // "name#row" / the row index for batches).
  std::vector<std::pair<std::string, Tensor>> inputs;
  for (const std::string& path : input_paths(args.get("--inputs"))) {
    const Tensor x = load_input_file(path, args, engine.graph(), card);
    if (x.dim(0) == 1) {
      inputs.emplace_back(base_name(path), x);
      continue;
    }
    for (int64_t b = 0; b < x.dim(0); ++b)
      inputs.emplace_back(base_name(path) + "#" + std::to_string(b), batch_item(x, b));
  }
  const int64_t tasks =
      static_cast<int64_t>(inputs.size() * plan.methods.size() * (1 + plan.metrics.size()));
  const bool tty = isatty(2);
  Progress progress = percent_progress("eval", "explanations and metrics");
  progress.set_total(tasks);
  std::vector<EvalRecord> records;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& [key, x] = inputs[i];
    std::optional<std::vector<uint8_t>> box;
    const std::string index = std::to_string(i);
    const std::string bare = key.substr(0, key.find('#'));
    const nlohmann::json* spec = boxes.contains(key)     ? &boxes[key]
                                 : boxes.contains(index) ? &boxes[index]
                                 : boxes.contains(bare)  ? &boxes[bare]
                                                         : nullptr;
    if (spec) {
      const auto plane = plane_size(x);
      const int64_t h = plane.first, w = plane.second;
      box = box_mask(*spec, h, w, key);
    }
    const auto rows =
        evaluate_input(model, x, static_cast<int64_t>(i), box, plan, target, progress);
    records.insert(records.end(), rows.begin(), rows.end());
  }
  if (tty) std::fprintf(stderr, "\r%70s\r", "");
  const EvalTable table = summarise(plan, records);
  std::printf("%zu input(s)\n\n%s", inputs.size(), table_markdown(table).c_str());
  if (!out.empty()) {
    std::string text = ends_with(out, ".csv")    ? table_csv(table)
                       : ends_with(out, ".json") ? table_json(table).dump(2) + "\n"
                                                 : table_markdown(table);
    write_file(out, std::vector<uint8_t>(text.begin(), text.end()));
  }
  if (args.has("--curves")) {
    nlohmann::json j = {{"inputs", nlohmann::json::array()}, {"records", records_json(records)}};
    for (const auto& in : inputs) j["inputs"].push_back(in.first);
    const std::string text = j.dump(1) + "\n";
    write_file(args.get("--curves"), std::vector<uint8_t>(text.begin(), text.end()));
  }
  return 0;
}

}  // namespace heatlens::cli
